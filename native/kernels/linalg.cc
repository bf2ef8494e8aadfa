// Batched GEMM entry: C[b] = alpha * A[b]·B[b] + beta * C[b] over broadcast batch dims.
// Transposed operands arrive as strides and are absorbed by packing, never copied here.
#include <algorithm>
#include <string>

#include "../parallel.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

constexpr ptrdiff_t kRowUnit = 24;     // a multiple of every ISA's MR (4, 6, 8, 12)
constexpr ptrdiff_t kColUnit = 32;     // a multiple of the x86 ISAs' NR (8, 16, 32)
constexpr ptrdiff_t kRowBlock = 6 * kRowUnit;  // the GEMM's MC: one packed A block per task
constexpr ptrdiff_t kMinColBlock = 8 * kColUnit;
constexpr ptrdiff_t kTasks = 16;  // enough blocks to balance a few threads

// The block size that cuts `len` into the fewest blocks of at most `max_block`, as equal as the
// unit allows (150 rows: 96 + 54, not 144 + 6, so two threads share the work). It depends on the
// shape only, never on the thread count.
ptrdiff_t balanced_block(ptrdiff_t len, ptrdiff_t max_block, ptrdiff_t unit) {
  const ptrdiff_t blocks = std::max<ptrdiff_t>(1, (len + max_block - 1) / max_block);
  const ptrdiff_t per = (len + blocks - 1) / blocks;
  return std::max(unit, (per + unit - 1) / unit * unit);
}

struct Operand {
  ptrdiff_t offset, rs, cs;
  ptrdiff_t bstride[kMaxDims];
};

template <typename T>
void run_gemm(const Array& a, const Array& b, const Array& c, int nb, const ptrdiff_t* bshape,
              ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, T alpha, T beta, const Operand& A,
              const Operand& B, const Operand& C) {
  auto gemm = Sel<T>::gemm();
  ptrdiff_t batch = 1;
  for (int d = 0; d < nb; ++d) batch *= bshape[d];
  const ptrdiff_t rb = balanced_block(m, kRowBlock, kRowUnit);
  const ptrdiff_t mblocks = (m + rb - 1) / rb;
  // Columns are cut only as far as needed for kTasks blocks: each block packs its rows of A
  // once, so wide blocks amortise that over more columns.
  const ptrdiff_t row_tasks = std::max<ptrdiff_t>(1, batch * mblocks);
  const ptrdiff_t col_blocks = (kTasks + row_tasks - 1) / row_tasks;
  const ptrdiff_t cb = balanced_block(n, std::max(kMinColBlock, (n + col_blocks - 1) / col_blocks), kColUnit);
  const ptrdiff_t nblocks = (n + cb - 1) / cb;
  const ptrdiff_t tasks = batch * mblocks * nblocks;
  const double flops = 2.0 * double(batch) * double(m) * double(n) * double(k);
  auto task = [&](ptrdiff_t t0, ptrdiff_t t1) {
    for (ptrdiff_t t = t0; t < t1; ++t) {
      ptrdiff_t bi = t / (mblocks * nblocks);
      const ptrdiff_t r = t % (mblocks * nblocks);
      const ptrdiff_t i0 = (r / nblocks) * rb, j0 = (r % nblocks) * cb;
      ptrdiff_t oa = A.offset, ob = B.offset, oc = C.offset;
      for (int d = nb - 1; d >= 0; --d) {
        const ptrdiff_t id = bi % bshape[d];
        bi /= bshape[d];
        oa += id * A.bstride[d];
        ob += id * B.bstride[d];
        oc += id * C.bstride[d];
      }
      const ptrdiff_t mm = std::min(rb, m - i0), nn = std::min(cb, n - j0);
      gemm(mm, nn, k, alpha, a.as<T>() + oa + i0 * A.rs, A.rs, A.cs, b.as<T>() + ob + j0 * B.cs,
           B.rs, B.cs, beta, c.as<T>() + oc + i0 * C.rs + j0, C.rs);
    }
  };
  if (flops < 2.0 * 64 * 64 * 64) task(0, tasks);
  else parallel_for(tasks, task);
}

// gemm(a, b, c, meta); meta = [nb, batch sizes, m, n, k, alpha, beta,
//   offA, rsA, csA, batch strides A, offB, rsB, csB, batch strides B, offC, rsC, batch strides C].
// C has unit column stride and must not overlap A or B.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const char* name = "gemm";
  require_args(info, 4, name);
  Array a = get_array(info, 0, name, "a"), b = get_array(info, 1, name, "b"),
        c = get_array(info, 2, name, "c");
  float_dtype(info.Env(), name, a);
  same_dtype(info.Env(), name, a, b);
  same_dtype(info.Env(), name, a, c);
  no_overlap(info.Env(), name, c, a);
  no_overlap(info.Env(), name, c, b);
  Meta meta(info, 3, name);
  constexpr int64_t kMax = int64_t(1) << 48;
  const int nb = int(meta.next(0, kMaxDims - 2, "batch ndim"));
  ptrdiff_t bshape[kMaxDims];
  for (int d = 0; d < nb; ++d) bshape[d] = ptrdiff_t(meta.next(0, kMax, "batch size"));
  const ptrdiff_t m = meta.next(0, kMax, "m"), n = meta.next(0, kMax, "n"), k = meta.next(0, kMax, "k");
  const double alpha = meta.next_real(), beta = meta.next_real();
  Operand ops[3];
  for (int o = 0; o < 3; ++o) {
    ops[o].offset = meta.next(0, kMax, "offset");
    ops[o].rs = meta.next(0, kMax, "row stride");
    ops[o].cs = o == 2 ? 1 : meta.next(0, kMax, "column stride");
    for (int d = 0; d < nb; ++d) ops[o].bstride[d] = meta.next(0, kMax, "batch stride");
  }
  meta.done();
  const Array* arrs[3] = {&a, &b, &c};
  const ptrdiff_t rows[3] = {m, k, m}, cols[3] = {k, n, n};
  const char* names[3] = {"a", "b", "c"};
  for (int o = 0; o < 3; ++o) {
    ptrdiff_t shape[kMaxDims], strides[kMaxDims];
    for (int d = 0; d < nb; ++d) { shape[d] = bshape[d]; strides[d] = ops[o].bstride[d]; }
    shape[nb] = rows[o]; strides[nb] = ops[o].rs;
    shape[nb + 1] = cols[o]; strides[nb + 1] = ops[o].cs;
    check_extent(info.Env(), name, names[o], *arrs[o], ops[o].offset, shape, strides, nb + 2);
  }
  if (a.dtype == DType::F32) {
    run_gemm<float>(a, b, c, nb, bshape, m, n, k, float(alpha), float(beta), ops[0], ops[1], ops[2]);
  } else {
    run_gemm<double>(a, b, c, nb, bshape, m, n, k, alpha, beta, ops[0], ops[1], ops[2]);
  }
  return info.Env().Undefined();
}

}  // namespace

void register_linalg(Napi::Env env, Napi::Object exports) {
  exports["gemm"] = Napi::Function::New(env, Gemm, "gemm");
}

}  // namespace tg
