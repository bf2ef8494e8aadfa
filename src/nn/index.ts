// tg.nn: modules, layers, initialisation and the functional forms.
export { Module, Parameter } from './module';
export type { StateDict, StateDictOptions, LoadStateDictOptions, LoadStateDictResult } from './module';
export {
  Sequential, Identity, Flatten, Linear, ReLU, LeakyReLU, ELU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax,
} from './layers';
export type { LinearOptions } from './layers';
export { Conv2d, MaxPool2d, AvgPool2d } from './conv-layers';
export type { Conv2dLayerOptions } from './conv-layers';
export {
  MSELoss, L1Loss, HuberLoss, SmoothL1Loss, BCELoss, BCEWithLogitsLoss, NLLLoss, CrossEntropyLoss,
} from './losses';
export type { Reduction } from './losses';
export { BatchNorm1d, BatchNorm2d, LayerNorm, Dropout, Embedding } from './norm-layers';
export type { BatchNormModuleOptions, LayerNormModuleOptions, EmbeddingModuleOptions } from './norm-layers';
export * as init from './init';
export * as functional from './functional';
export * as utils from './utils';
export { summary } from './summary';
export type { Summary, SummaryRow } from './summary';
