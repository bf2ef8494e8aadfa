// Modules written as one ONNX node instead of their traced ops (the form PyTorch's exporter writes):
// Linear on 2-D input as Gemm, Softmax and LogSoftmax as their ONNX ops. Only the exact built-in
// classes qualify, so a subclass with its own forward is traced op by op.
import { Tensor } from '../tensor';
import { Module } from '../nn/module';
import { Linear, LogSoftmax, Softmax } from '../nn/layers';
import { GraphBuilder } from './graph-builder';

export type ModuleExport = (out: Tensor) => void;

/** How `m` called on `args` is written, or null to trace its forward. */
export function moduleExport(b: GraphBuilder, m: Module, args: unknown[]): ModuleExport | null {
  const proto = Object.getPrototypeOf(m);
  const x = args[0];
  if (args.length !== 1 || !(x instanceof Tensor) || !b.vals.has(x)) return null;
  const v = b.vals.get(x)!;
  if (proto === Linear.prototype) {
    const lin = m as Linear;
    if (x.ndim !== 2 || v.batch === 1 || x.dtype !== lin.weight.dtype) return null;
    return (out) => {
      const ins = [v.name, b.val(lin.weight).name, ...(lin.bias ? [b.val(lin.bias).name] : [])];
      b.set(out, b.one('Gemm', ins, { transB: 1 }), v.batch);
    };
  }
  if (proto === Softmax.prototype || proto === LogSoftmax.prototype) {
    const dim = (m as Softmax).dim;
    if (x.ndim === 0 || dim < -x.ndim || dim >= x.ndim) return null;
    return (out) => b.set(out, b.one(proto === Softmax.prototype ? 'Softmax' : 'LogSoftmax', [v.name], { axis: dim }), v.batch);
  }
  return null;
}
