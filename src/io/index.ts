// tg.io: reading and writing tensors in files.
export { readIdx } from './idx';
