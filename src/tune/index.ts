// tg.tune: hyperparameter optimisation with Optuna's model (studies, trials, samplers, pruners, storages).
export { createStudy, loadStudy, Study } from './study';
export type { CreateStudyOptions, OptimizeOptions, Objective } from './study';
export { Trial } from './trial';
export { TrialPruned } from './pruned';
export type { FrozenTrial, TrialState, Direction } from './frozen-trial';
export type { Distribution, FloatDistribution, IntDistribution, CategoricalDistribution, SuggestOptions } from './distributions';
export { Sampler } from './samplers/sampler';
export type { StudyView } from './samplers/sampler';
export { RandomSampler } from './samplers/random';
export type { RandomSamplerOptions } from './samplers/random';
export { GridSampler } from './samplers/grid';
export { TPESampler } from './samplers/tpe/sampler';
export type { TPESamplerOptions } from './samplers/tpe/sampler';
export { Pruner, NopPruner, MedianPruner, PercentilePruner, SuccessiveHalvingPruner } from './pruners';
export type { PercentileOptions, SuccessiveHalvingOptions } from './pruners';
export { InMemoryStorage } from './storage/memory';
export type { Storage } from './storage/storage';
export { pruningCallback } from './pruning-callback';
