// matmul as torch.matmul: 1-D, 2-D and batched N-D with broadcast batch dims. Transposed
// operands (views) reach the GEMM as strides and are never copied.
import { native } from '../native';
import { promote } from '../dtype';
import { Tensor, metaBuffer } from '../tensor';
import { broadcastShapes, shapeStr } from '../shape';
import { method, op } from './util';
import { checkElements, checkFloatTensor, checkTensor } from '../validate';
import { sumTo } from './reduce';

function batchStrides(t: Tensor, batch: number[]): number[] {
  const tb = t.ndim - 2;
  const lead = batch.length - tb;
  return batch.map((s, d) => (d < lead || (t._shape[d - lead] === 1 && s !== 1) ? 0 : t._strides[d - lead]));
}

const matmulOp = op('matmul', {
  forward(ctx, a: Tensor, b: Tensor) {
    const batch = a.ndim === 2 && b.ndim === 2 ? [] : broadcastShapes('matmul', a._shape.slice(0, -2), b._shape.slice(0, -2));
    const m = a._shape[a.ndim - 2];
    const k = a._shape[a.ndim - 1];
    const n = b._shape[b.ndim - 1];
    const nb = batch.length;
    const out = Tensor._empty(nb === 0 ? [m, n] : [...batch, m, n], a.dtype);
    const meta = metaBuffer(1 + nb + 5 + 3 + nb + 3 + nb + 2 + nb);
    let i = 0;
    meta[i++] = nb;
    for (const s of batch) meta[i++] = s;
    meta[i++] = m;
    meta[i++] = n;
    meta[i++] = k;
    meta[i++] = 1;
    meta[i++] = 0;
    for (let o = 0; o < 2; o++) {
      const t = o === 0 ? a : b;
      meta[i++] = t._off;
      meta[i++] = t._strides[t.ndim - 2];
      meta[i++] = t._strides[t.ndim - 1];
      if (nb > 0) for (const s of batchStrides(t, batch)) meta[i++] = s;
    }
    meta[i++] = 0;
    meta[i++] = n;
    for (let d = 0; d < nb; d++) meta[i++] = out._strides[d];
    native.gemm(a._st.data, b._st.data, out._st.data, meta);
    ctx.save(a, b);
    return out;
  },
  backward(ctx, g) {
    const [a, b] = ctx.saved;
    // A transposed 2-D b (x @ W.T, as in linear) gets its gradient in W's own layout, so W.grad
    // is a contiguous tensor that backward can hand over without a transposing copy.
    const bTransposed = a.ndim === 2 && b.ndim === 2 && b._strides[0] === 1 && b._strides[1] !== 1;
    let gb: Tensor | null = null;
    if (ctx.needsInputGrad[1]) {
      gb = bTransposed
        ? matmul(g.transpose(-1, -2), a).transpose(-1, -2)
        : sumTo(matmul(a.transpose(-1, -2), g), b._shape);
    }
    return [ctx.needsInputGrad[0] ? sumTo(matmul(g, b.transpose(-1, -2)), a._shape) : null, gb];
  },
});

export function matmul(x: Tensor, y: Tensor): Tensor {
  checkTensor('matmul', x, 'first operand');
  checkTensor('matmul', y, 'second operand');
  if (x.ndim === 0 || y.ndim === 0) {
    throw new RangeError(`matmul: both operands need at least 1 dim, got shapes ${shapeStr(x._shape)} and ${shapeStr(y._shape)}`);
  }
  const dt = promote(x.dtype, y.dtype);
  let a = x.dtype === dt ? x : x.to(dt);
  let b = y.dtype === dt ? y : y.to(dt);
  checkFloatTensor('matmul', a);
  const ka = a._shape[a.ndim - 1];
  const kb = b.ndim === 1 ? b._shape[0] : b._shape[b.ndim - 2];
  if (ka !== kb) {
    throw new RangeError(`matmul: shapes ${shapeStr(x._shape)} and ${shapeStr(y._shape)} cannot be multiplied (${ka} != ${kb})`);
  }
  let batch: number[] = [];
  if (a.ndim > 2 || b.ndim > 2) {
    const batchA = a.ndim > 2 ? a._shape.slice(0, -2) : [];
    const batchB = b.ndim > 2 ? b._shape.slice(0, -2) : [];
    for (let i = 0; i < Math.max(batchA.length, batchB.length); i++) {
      const sa = batchA[batchA.length - 1 - i] ?? 1;
      const sb = batchB[batchB.length - 1 - i] ?? 1;
      if (sa !== sb && sa !== 1 && sb !== 1) {
        throw new RangeError(`matmul: the batch dims of shapes ${shapeStr(x._shape)} and ${shapeStr(y._shape)} cannot be broadcast together`);
      }
    }
    batch = broadcastShapes('matmul', batchA, batchB);
  }
  const rows = a.ndim === 1 ? [] : [a._shape[a.ndim - 2]];
  const cols = b.ndim === 1 ? [] : [b._shape[b.ndim - 1]];
  checkElements('matmul', [...batch, ...rows, ...cols], 'result shape', ` (of shapes ${shapeStr(x._shape)} and ${shapeStr(y._shape)})`);
  const vecA = a.ndim === 1;
  const vecB = b.ndim === 1;
  if (vecA) a = a.unsqueeze(0);
  if (vecB) b = b.unsqueeze(1);
  let out = matmulOp(a, b);
  if (vecB) out = out.squeeze(-1);
  if (vecA) out = out.squeeze(vecB ? -1 : -2);
  return out;
}

declare module '../tensor' {
  interface Tensor {
    matmul(other: Tensor): Tensor;
  }
}
method('matmul', matmul);
