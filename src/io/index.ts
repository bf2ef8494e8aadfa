// tg.io: reading and writing tensors in files.
export { readIdx } from './idx';
export { save, load, loadWithMetadata, SafetensorsFormatError } from './safetensors';
export type { SaveOptions, LoadResult } from './safetensors';
export { saveCheckpoint, loadCheckpoint } from './checkpoint';
export type { CheckpointTargets, CheckpointContents, Stateful } from './checkpoint';
