// tg.data: datasets, splits, k-fold indices and the DataLoader.
export { Dataset, TensorDataset, Subset, randomSplit } from './dataset';
export { kFold } from './kfold';
export type { Fold } from './kfold';
export { DataLoader } from './loader';
export type { DataLoaderOptions } from './loader';
