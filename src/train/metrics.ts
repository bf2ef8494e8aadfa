// Metrics for fit/evaluate: each returns the batch mean as a number; fit weights it by batch size.
import { Tensor } from '../tensor';
import { noGrad } from '../autograd/grad-mode';
import { shapeStr } from '../shape';
import { checkTensor } from '../validate';

export type MetricFn = (output: Tensor, target: Tensor) => number | Tensor;

function check(op: string, output: unknown, target: unknown): [Tensor, Tensor] {
  return [checkTensor(op, output, 'output'), checkTensor(op, target, 'target')];
}

/**
 * Fraction of correct predictions. Class scores `[N, C, ...]` (C > 1) against int32 labels `[N, ...]`:
 * argmax over dim 1 (one-hot or probability targets of the output's shape: argmax of both). A single
 * output per sample (`[N]` or `[N, 1]`) is a binary logit: predicted 1 when it is > 0, i.e. sigmoid > 0.5
 * (as BCEWithLogitsLoss expects); targets are 0/1. For outputs that are already probabilities, pass
 * your own metric, e.g. `(p, y) => p.gt(0.5).eq(y).float().mean()`.
 */
export function accuracy(output: Tensor, target: Tensor): number {
  [output, target] = check('accuracy', output, target);
  return noGrad(() => {
    const s = output.shape;
    const single = output.ndim === 1 || (output.ndim >= 2 && s[1] === 1 && target.size === output.size);
    let hits: Tensor;
    if (single) {
      if (target.size !== output.size) {
        throw new RangeError(`accuracy: binary output ${shapeStr(s)} and target ${shapeStr(target.shape)} differ in size`);
      }
      hits = output.gt(0).eq(target.to(output.dtype).reshape(...s));
    } else if (output.ndim === target.ndim + 1 && shapeStr([s[0], ...s.slice(2)]) === shapeStr(target.shape)) {
      if (target.dtype !== 'int32') throw new TypeError(`accuracy: class-index targets must be int32, got ${target.dtype}`);
      hits = output.argmax(1).eq(target);
    } else if (shapeStr(s) === shapeStr(target.shape) && output.ndim >= 2) {
      hits = output.argmax(1).eq(target.argmax(1));
    } else {
      throw new RangeError(`accuracy: cannot match output ${shapeStr(s)} with target ${shapeStr(target.shape)} (expected [N, C, ...] with int32 [N, ...], or [N]/[N, 1] binary logits)`);
    }
    return hits.size === 0 ? NaN : hits.sum().item() / hits.size;
  });
}

function diff(op: string, output: Tensor, target: Tensor): Tensor {
  [output, target] = check(op, output, target);
  if (output.size !== target.size) {
    throw new RangeError(`${op}: output ${shapeStr(output.shape)} and target ${shapeStr(target.shape)} differ in size`);
  }
  return output.sub(target.to(output.dtype).reshape(...output.shape));
}

/** Mean squared error over all elements (target reshaped to the output's shape). */
export function mse(output: Tensor, target: Tensor): number {
  return noGrad(() => diff('mse', output, target).square().mean().item());
}

/** Mean absolute error over all elements (target reshaped to the output's shape). */
export function mae(output: Tensor, target: Tensor): number {
  return noGrad(() => diff('mae', output, target).abs().mean().item());
}
