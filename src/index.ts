// Public entry point: everything a user reaches as `tg.*`.
import './autograd/methods';
export { Tensor } from './tensor';
export type { GradHook } from './tensor';
export type { DType } from './dtype';
export { Generator, manualSeed } from './random';
export { noGrad, enableGrad, isGradEnabled } from './autograd/grad-mode';
export { grad, valueAndGrad } from './autograd/engine';
export type { BackwardOptions, GradOptions } from './autograd/engine';
export { defineOp, OpContext } from './autograd/node';
export type { OpDefinition } from './autograd/node';
export { gradcheck, gradcheckReport, gradgradcheck } from './autograd/gradcheck';
export type { GradcheckOptions, GradcheckReport } from './autograd/gradcheck';
export {
  tensor, zeros, ones, full, zerosLike, onesLike, arange, linspace, eye, rand, randn, randint, randperm,
} from './ops/creation';
export type { CreateOptions, RandomOptions } from './ops/creation';
export {
  neg, abs, sign, exp, log, log1p, sqrt, rsqrt, square, reciprocal, sin, cos, tanh, sigmoid, erf, relu,
  leakyRelu, elu, gelu, silu, softplus, clamp, add, sub, mul, div, pow, maximum, minimum, where,
  eq, ne, lt, le, gt, ge,
} from './ops/elementwise';
export { sum, mean, prod, max, min, variance as var, std, logsumexp, norm, argmax, argmin } from './ops/reduce';
export { matmul } from './ops/linalg';
export {
  reshape, view, flatten, squeeze, unsqueeze, transpose, permute, expand, cat, stack, split, chunk, narrow, slice,
} from './ops/shape';
export { indexSelect, gather } from './ops/indexing';
export { clone, contiguous, detach, to } from './ops/convert';
export { setNumThreads, getNumThreads, backendInfo } from './runtime';
export type { BackendInfo } from './runtime';
export * as nn from './nn';
export * as data from './data';
export * as io from './io';
export * as datasets from './datasets';
export * as train from './train';
export * as optim from './optim';
export * as onnx from './onnx';
export * as viz from './viz';
export * as tune from './tune';
export * as autograd from './autograd/public';
