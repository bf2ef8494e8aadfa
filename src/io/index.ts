// tg.io: reading and writing files.
export { save, load, loadWithMetadata, SafetensorsFormatError } from './safetensors';
export type { SaveOptions, LoadResult } from './safetensors';
