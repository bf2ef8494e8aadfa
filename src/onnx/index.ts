// tg.onnx: export models to ONNX and load ONNX models as Modules.
export { exportModel, toBytes } from './export';
export type { ExportOptions } from './export';
export { load, OnnxModule } from './load';
