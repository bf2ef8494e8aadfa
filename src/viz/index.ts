// tg.viz: pictures of optimisation (loss landscapes, optimizer paths, run comparisons, LR finder).
export { optimizerPaths, plotOptimizerPaths } from './optimizer-paths';
export type { OptimizerPathsOptions, OptimizerPath, OptimizerPathsResult, PlotOptimizerPathsOptions, StepOptimizer } from './optimizer-paths';
export { SURFACES } from './test-functions';
export type { Surface, SurfaceName, SurfaceFn } from './test-functions';
