// tg.nn.functional: functional forms of the layers implemented so far, and stable softmax / logSoftmax.
import { Tensor } from '../tensor';
import { shapeStr } from '../shape';
import { checkFloatTensor, describe, normDim } from '../validate';

/** `x @ weight.T + bias`, weight shaped [out, in]; x shaped [..., in]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  checkFloatTensor('linear', x);
  checkFloatTensor('linear', weight, 'weight');
  if (weight.ndim !== 2) throw new RangeError(`linear: weight must be 2-D [outFeatures, inFeatures], got shape ${shapeStr(weight.shape)}`);
  const inF = weight.shape[1];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== inF) {
    throw new RangeError(`linear: input shape ${shapeStr(x.shape)} does not end in inFeatures = ${inF} (weight shape ${shapeStr(weight.shape)})`);
  }
  const y = x.matmul(weight.T);
  if (bias === null || bias === undefined) return y;
  if (!(bias instanceof Tensor) || bias.ndim !== 1 || bias.shape[0] !== weight.shape[0]) {
    throw new RangeError(`linear: bias must have shape [${weight.shape[0]}], got ${describe(bias)}`);
  }
  return y.add(bias);
}

/** softmax along `dim`, computed as exp(x - max) / sum (no overflow for large logits). */
export function softmax(x: Tensor, dim: number): Tensor {
  checkFloatTensor('softmax', x);
  const d = normDim('softmax', dim, x.ndim, x._shape);
  if (x.ndim === 0) return x.sub(x).add(1);
  // Nothing to normalise (and no max to shift by): the empty result, as PyTorch.
  if (x.size === 0) return x.exp();
  // The shift does not change the result, so its gradient is zero: detaching it is exact.
  const e = x.sub(x.max(d, true).detach()).exp();
  return e.div(e.sum(d, true));
}

/** log-softmax along `dim`, computed as x - logsumexp(x). */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  checkFloatTensor('logSoftmax', x);
  const d = normDim('logSoftmax', dim, x.ndim, x._shape);
  if (x.ndim === 0) return x.sub(x);
  return x.sub(x.logsumexp(d, true));
}

// Losses and penalties (see losses.ts).
export {
  mseLoss, l1Loss, huberLoss, smoothL1Loss, binaryCrossEntropy, binaryCrossEntropyWithLogits, nllLoss, crossEntropy,
  l1Penalty, l2Penalty,
} from './losses';
export type {
  Reduction, ReductionOptions, HuberLossOptions, SmoothL1LossOptions, BCELossOptions, BCEWithLogitsLossOptions,
  NLLLossOptions, CrossEntropyLossOptions,
} from './losses';

// Normalisation, dropout and embedding (see norm.ts).
export { batchNorm, layerNorm, dropout, embedding } from './norm';
export type { BatchNormOptions, LayerNormOptions, DropoutOptions, EmbeddingOptions } from './norm';
// Convolution and pooling (see conv.ts).
export { conv2d, maxPool2d, avgPool2d } from './conv';
export type { Conv2dOptions, MaxPool2dOptions, AvgPool2dOptions, IntOrPair } from './conv';
