// Autograd methods on Tensor: backward, retainGrad, registerHook.
import { Tensor, GradHook } from '../tensor';
import { backward, BackwardOptions } from './engine';
import { method } from '../ops/util';

export interface HookHandle {
  remove(): void;
}

declare module '../tensor' {
  interface Tensor {
    backward(gradient?: Tensor | null, opts?: BackwardOptions): void;
    retainGrad(): this;
    registerHook(fn: GradHook): HookHandle;
  }
}

method('backward', (self: Tensor, gradient?: Tensor | null, opts?: BackwardOptions) => backward(self, gradient, opts));

method('retainGrad', (self: Tensor) => {
  if (!self.requiresGrad) throw new Error("retainGrad: can't retain the gradient of a tensor that does not require grad");
  if (self._node) self._node.retained = self;
  return self;
});

method('registerHook', (self: Tensor, fn: GradHook): HookHandle => {
  if (typeof fn !== 'function') throw new TypeError('registerHook: expected a function');
  if (!self.requiresGrad) throw new Error("registerHook: can't register a hook on a tensor that does not require grad");
  const owner = self._node ?? self;
  const list = (owner._hooks ??= []);
  list.push(fn);
  return {
    remove() {
      const i = list.indexOf(fn);
      if (i >= 0) list.splice(i, 1);
    },
  };
});
