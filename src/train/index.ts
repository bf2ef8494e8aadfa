// tg.train: fit/evaluate, callbacks, metrics, hyperparameter search and history plots.
export { fit, evaluate, isMetricScheduler } from './fit';
export type { FitOptions, EvaluateOptions } from './fit';
export { Callback, EarlyStopping, ModelCheckpoint, LambdaCallback } from './callbacks';
export type { TrainState, BatchLogs, EarlyStoppingOptions, ModelCheckpointOptions } from './callbacks';
export * as metrics from './metrics';
export type { MetricFn } from './metrics';
export { gridSearch, randomSearch, crossValidate, choice, uniform, logUniform, intUniform, Distribution } from './search';
export type { Trial, Params, GridSearchOptions, RandomSearchOptions, CrossValidateOptions } from './search';
export { plotHistory } from './plot';
export type { PlotOptions } from './plot';
export type { History, Logs, Loader, LossLike, OptimizerLike, SchedulerLike } from './types';
export type { ProgressOption, ProgressStream } from './progress';
export { lrFind } from './lr-find';
export type { LrFindOptions, LrFindResult } from './lr-find';
