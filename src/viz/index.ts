// tg.viz: pictures of optimisation (loss landscapes, optimizer paths, run comparisons, LR finder, studies).
export { optimizerPaths, plotOptimizerPaths } from './optimizer-paths';
export type { OptimizerPathsOptions, OptimizerPath, OptimizerPathsResult, PlotOptimizerPathsOptions, StepOptimizer } from './optimizer-paths';
export { SURFACES } from './test-functions';
export type { Surface, SurfaceName, SurfaceFn } from './test-functions';
export { lossLandscape, randomDirection } from './landscape';
export type { LossLandscape, LossLandscapeOptions, Direction, Normalization } from './landscape';
export { plotLossLandscape } from './plot-landscape';
export type { PlotLossLandscapeOptions } from './plot-landscape';
export { plotRuns, plotSchedules, scheduleLrs } from './runs';
export type { PlotRunsOptions, PlotSchedulesOptions, ScheduleOptions, SchedulerFactory } from './runs';
export { plotLrFind } from './lr-find-plot';
export type { PlotLrFindOptions } from './lr-find-plot';
export { plotOptimizationHistory, plotSlice } from './study-plots';
