// The only file that loads the addon; it also types the native functions.
import * as path from 'node:path';
import { PREBUILT_PLATFORMS } from './prebuilt-platforms';

export type TypedArray = Float32Array | Float64Array | Int32Array;

export interface NativeAddon {
  unary(op: number, y: TypedArray, x: TypedArray, meta: Float64Array, a: number, b: number): void;
  unaryBackward(op: number, gx: TypedArray, g: TypedArray, x: TypedArray, y: TypedArray, a: number, b: number): void;
  binary(op: number, out: TypedArray, a: TypedArray, b: TypedArray, meta: Float64Array): void;
  /** out[i] = a[aOffset + i] op b[bOffset + i] for i < out.length (contiguous same-shape operands). */
  binaryDense(op: number, out: TypedArray, a: TypedArray, aOffset: number, b: TypedArray, bOffset: number): void;
  where(out: TypedArray, cond: TypedArray, a: TypedArray, b: TypedArray, meta: Float64Array): void;
  copy(out: TypedArray, x: TypedArray, meta: Float64Array): void;
  fill(out: TypedArray, value: number, meta: Float64Array): void;
  reduce(op: number, out: TypedArray, x: TypedArray, meta: Float64Array, param: number): void;
  gemm(a: TypedArray, b: TypedArray, c: TypedArray, meta: Float64Array): void;
  indexSelect(out: TypedArray, x: TypedArray, index: Int32Array, meta: Float64Array): void;
  indexAdd(gx: TypedArray, g: TypedArray, index: Int32Array, meta: Float64Array): void;
  gather(out: TypedArray, x: TypedArray, index: Int32Array, meta: Float64Array): void;
  scatterAdd(gx: TypedArray, g: TypedArray, index: Int32Array, meta: Float64Array): void;
  conv2d(out: TypedArray, x: TypedArray, weight: TypedArray, bias: TypedArray, meta: Float64Array): void;
  conv2dBackwardInput(gx: TypedArray, gout: TypedArray, weight: TypedArray, meta: Float64Array): void;
  conv2dBackwardWeight(gw: TypedArray, x: TypedArray, gout: TypedArray, meta: Float64Array): void;
  conv2dBackwardBias(gb: TypedArray, gout: TypedArray, meta: Float64Array): void;
  maxPool2d(out: TypedArray, indices: Int32Array, x: TypedArray, meta: Float64Array): void;
  maxPool2dBackward(gx: TypedArray, gout: TypedArray, indices: Int32Array, meta: Float64Array): void;
  avgPool2d(out: TypedArray, x: TypedArray, meta: Float64Array): void;
  avgPool2dBackward(gx: TypedArray, gout: TypedArray, meta: Float64Array): void;
  randomUniform(out: TypedArray, k0: number, k1: number, offset: number, low: number, high: number): void;
  randomNormal(out: TypedArray, k0: number, k1: number, offset: number, mean: number, std: number): void;
  randomInt(out: TypedArray, k0: number, k1: number, offset: number, low: number, high: number): void;
  randperm(out: Int32Array, k0: number, k1: number, offset: number): void;
  batchNormForward(
    y: TypedArray, saveMean: TypedArray, saveInvstd: TypedArray, x: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
    runningMean: TypedArray | null, runningVar: TypedArray | null, meta: Float64Array, eps: number, momentum: number,
  ): void;
  batchNormBackward(
    gx: TypedArray | null, gw: TypedArray | null, gb: TypedArray | null, g: TypedArray, x: TypedArray, weight: TypedArray | null,
    saveMean: TypedArray, saveInvstd: TypedArray, meta: Float64Array,
  ): void;
  layerNormForward(
    y: TypedArray, saveMean: TypedArray, saveInvstd: TypedArray, x: TypedArray, weight: TypedArray | null, bias: TypedArray | null,
    meta: Float64Array, eps: number,
  ): void;
  layerNormBackward(
    gx: TypedArray | null, gw: TypedArray | null, gb: TypedArray | null, g: TypedArray, x: TypedArray, weight: TypedArray | null,
    saveMean: TypedArray, saveInvstd: TypedArray, meta: Float64Array,
  ): void;
  dropoutForward(out: TypedArray, mask: TypedArray, x: TypedArray, p: number): void;
  /**
   * One fused in-place optimizer update of `param[paramOffset .. +n)` and its state arrays (each
   * exactly n long, or null when the options do not use it); `hp` holds the kind's hyperparameters
   * (layouts in native/kernels/optim.cc).
   */
  optimStep(
    kind: number, param: TypedArray, paramOffset: number, grad: TypedArray, gradOffset: number, n: number,
    s0: TypedArray | null, s1: TypedArray | null, s2: TypedArray | null, hp: Float64Array,
  ): void;
  crossEntropyForward(x: TypedArray, target: TypedArray, weight: TypedArray, rowLoss: TypedArray, lse: Float64Array, totals: Float64Array, meta: Float64Array): void;
  crossEntropyBackward(gx: TypedArray, x: TypedArray, target: TypedArray, weight: TypedArray, lse: Float64Array, gradRow: TypedArray, scale: number, meta: Float64Array): void;
  bceWithLogitsForward(x: TypedArray, target: TypedArray, weight: TypedArray, posWeight: TypedArray, out: TypedArray, totals: Float64Array, meta: Float64Array): void;
  bceWithLogitsBackward(gx: TypedArray, x: TypedArray, target: TypedArray, weight: TypedArray, posWeight: TypedArray, gradOut: TypedArray, scale: number, meta: Float64Array): void;
  setNumThreads(n: number): void;
  getNumThreads(): number;
  isa(): string;
  adviseHugePages(a: TypedArray): boolean;
  hugePageOffset(a: Int32Array, bytes: number): number;
  /** An uninitialised ArrayBuffer of exactly `bytes` (1–32 MiB) from the buffer pool, or undefined. */
  uninitBuffer(bytes: number): ArrayBuffer | undefined;
  bufferPoolStats(): { mappedBytes: number; freeBytes: number; maxBytes: number; mapped: number; reused: number; refused: number; live: number };
}

// Mirrors native/common.h.
export const enum UnaryOp {
  Neg, Abs, Sign, Exp, Log, Log1p, Sqrt, Rsqrt, Square, Reciprocal, Sin, Cos, Tanh, Sigmoid,
  Relu, LeakyRelu, Elu, Gelu, GeluTanh, Silu, Softplus, Clamp, PowScalar, Erf,
}
export const enum BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge }
export const enum OptimKind { Sgd, Adagrad, Rmsprop, Adadelta, Adam, Adamax, Nadam }
export const enum ReduceOp { Sum, Mean, Prod, Max, Min, LogSumExp, Var, Norm, ArgMax, ArgMin }

const root = path.join(__dirname, '..');

function load(): { addon: NativeAddon; file: string } {
  const forced = process.env.TAPEGRAD_ADDON;
  if (forced) return { addon: require(path.resolve(forced)) as NativeAddon, file: path.resolve(forced) };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const gypBuild = require('node-gyp-build') as { (dir: string): unknown; resolve(dir: string): string };
  let file: string;
  try {
    file = gypBuild.resolve(root);
  } catch (e) {
    const detail = (e as Error).message;
    throw new Error(
      `tapegrad: no native addon could be loaded.\n` +
        `  platform=${process.platform} arch=${process.arch} libc=${libc()} node=${process.version} ` +
        `napi=${process.versions.napi}\n` +
        `  searched: ${path.join(root, 'build', 'Release')}, ${path.join(root, 'prebuilds', `${process.platform}-${process.arch}`)}\n` +
        `  released prebuilds: ${PREBUILT_PLATFORMS.join(', ')}\n` +
        `  node-gyp-build said: ${detail}\n` +
        `  To build from source run \`npm rebuild tapegrad\` (needs python3, make and a C++17 compiler).`,
    );
  }
  return { addon: require(file) as NativeAddon, file };
}

function libc(): string {
  const report = process.report?.getReport?.() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? `glibc ${report.header.glibcVersionRuntime}` : 'unknown';
}

const loaded = load();
export const native: NativeAddon = loaded.addon;
export const addonFile: string = loaded.file;
export const prebuilt: boolean = loaded.file.split(path.sep).includes('prebuilds');
