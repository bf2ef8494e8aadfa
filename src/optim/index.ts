// tg.optim: optimizers (fused in-place native updates) and learning-rate schedules.
export { Optimizer } from './optimizer';
export type { OptimizerStateDict, ParamGroup, ParamGroupInput, ParamsInput, ParamState, StateValue } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adagrad } from './adagrad';
export type { AdagradOptions } from './adagrad';
export { RMSprop } from './rmsprop';
export type { RMSpropOptions } from './rmsprop';
export { Adadelta } from './adadelta';
export type { AdadeltaOptions } from './adadelta';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { Adamax } from './adamax';
export type { AdamaxOptions } from './adamax';
export { NAdam } from './nadam';
export type { NAdamOptions } from './nadam';
export * as lrScheduler from './lr-scheduler';
