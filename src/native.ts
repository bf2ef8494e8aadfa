// The only file that loads the addon; it also types the native functions.
import * as path from 'node:path';
import { addonTarget, libcPrebuild, noAddonMessage, prebuildFitsLibc } from './addon-target';

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
  const target = addonTarget();
  let file: string;
  try {
    file = gypBuild.resolve(root);
  } catch (e) {
    throw new Error(noAddonMessage(root, target, `node-gyp-build: ${(e as Error).message}`));
  }
  // On a musl system other than Alpine node-gyp-build takes the untagged (glibc) prebuild, which
  // would fail to load with an obscure relocation error.
  if (isPrebuild(file) && !prebuildFitsLibc(file, target.libc)) {
    const fits = libcPrebuild(root, target);
    if (!fits) throw new Error(noAddonMessage(root, target, `found only ${path.relative(root, file)}, which is not a ${target.libc} build`));
    file = fits;
  }
  try {
    return { addon: require(file) as NativeAddon, file };
  } catch (e) {
    throw new Error(noAddonMessage(root, target, `loading ${file} failed: ${(e as Error).message}`));
  }
}

function isPrebuild(file: string): boolean {
  return file.split(path.sep).includes('prebuilds');
}

const loaded = load();
export const native: NativeAddon = loaded.addon;
export const addonFile: string = loaded.file;
export const prebuilt: boolean = isPrebuild(loaded.file);
