// Reductions over any set of dims. The caller lists kept dims then reduced dims with the input's
// strides; size-1 dims are dropped, neighbours that are contiguous with each other merged, and
// (for every op but argmax / argmin) the reduced dims visited largest stride first. Then one of
// two loop shapes drives the per-ISA loops of kernels/reduce_loops.h:
//  - rows: each output reduces its runs along the innermost reduced dim, vectorized when that dim
//    is contiguous (x.sum(-1), full reductions; also any layout with no contiguous dim). One
//    kernel call covers a stretch of outputs along the innermost kept dim, so short rows are cheap;
//  - cols: the innermost kept dim is contiguous, so a block of consecutive outputs is reduced
//    together, row by row over the reduced elements (x.sum(0): a Linear layer's bias gradient).
// Work is cut into fixed blocks of outputs and, when those are too few to share, fixed chunks of
// the reduced range whose partial results are merged in chunk order. Block and chunk boundaries
// depend on the shape only, so results are bitwise identical for any number of threads; a
// reduction of at most kElementGrain elements is one block, run on the calling thread.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>      // (cstring, type_traits, utility: for reduce_loops.h, included below)
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>  // for reduce_loops.h (its float32 sum), included below
#endif

#include "../parallel.h"
#include "../strided.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
// For the kinds' identities and merges (red_detail), the same ones the ISA units' loops use.
#include "reduce_loops.h"

namespace {

struct ReduceLayout {
  int nk = 0, nr = 0;
  ptrdiff_t kshape[kMaxDims], rshape[kMaxDims];
  ptrdiff_t offset = 0;
  ptrdiff_t kstride[kMaxDims], rstride[kMaxDims];
};

// Product of the sizes, or -1 when it overflows (zero-stride dims can describe more elements
// than any array holds).
ptrdiff_t numel(const ptrdiff_t* shape, int n) {
  for (int d = 0; d < n; ++d) {
    if (shape[d] == 0) return 0;
  }
  ptrdiff_t p = 1;
  for (int d = 0; d < n; ++d) {
    if (__builtin_mul_overflow(p, shape[d], &p)) return -1;
  }
  return p;
}

// Drops size-1 dims and merges each dim into the one before it when the two are contiguous with
// each other, keeping the row-major order of the flat index (argmax's index; the output's order).
void simplify(int& n, ptrdiff_t* shape, ptrdiff_t* stride) {
  int m = 0;
  for (int d = 0; d < n; ++d) {
    if (shape[d] == 1) continue;
    if (m > 0 && stride[m - 1] == stride[d] * shape[d]) {
      shape[m - 1] *= shape[d];
      stride[m - 1] = stride[d];
    } else {
      shape[m] = shape[d];
      stride[m] = stride[d];
      ++m;
    }
  }
  n = m;
}

// Outputs reduced together by the cols loops: whole rows of up to 4 KB of float32 are read at a
// time (narrower blocks, which read part of each row, stream markedly slower).
constexpr ptrdiff_t kColBlock = kReduceMaxCols;
constexpr ptrdiff_t kBatch = 256;      // outputs a rows block hands over at a time
constexpr ptrdiff_t kMinItems = 16;    // blocks wanted before splitting the reduced range
constexpr ptrdiff_t kMaxRun = ptrdiff_t(1) << 30;  // argmax lanes index runs with int32 for float

struct Plan {
  ReduceLayout l;  // simplified; nr >= 1 and every size > 1 (or the single reduced dim is 1)
  bool cols = false;
  ptrdiff_t nout = 0, per = 0;
  ptrdiff_t K = 1, nj = 1;  // cols: size of the contiguous kept dim, column blocks per row of it
  ptrdiff_t units = 0;      // outputs (rows) or column blocks (cols)
  ptrdiff_t per_block = 1;  // units per output block
  ptrdiff_t nob = 1;        // output blocks
  ptrdiff_t chunk = 0, nrc = 1;  // reduced range: chunk length and number of chunks
};

// order_free: the op does not depend on the order of the reduced elements (all but argmax /
// argmin), so the reduced dims may be visited largest stride first (x.T.sum() reads in memory order).
Plan make_plan(const ReduceLayout& in, bool order_free) {
  Plan p;
  p.l = in;
  ReduceLayout& l = p.l;
  p.nout = numel(l.kshape, l.nk);
  p.per = numel(l.rshape, l.nr);
  if (p.nout == 0 || p.per == 0) return p;  // nothing to read: run_reduce fills in identities
  if (order_free) {  // stable insertion sort by decreasing stride
    for (int d = 1; d < l.nr; ++d) {
      for (int e = d; e > 0 && l.rstride[e - 1] < l.rstride[e]; --e) {
        std::swap(l.rstride[e - 1], l.rstride[e]);
        std::swap(l.rshape[e - 1], l.rshape[e]);
      }
    }
  }
  simplify(l.nk, l.kshape, l.kstride);
  simplify(l.nr, l.rshape, l.rstride);
  if (l.nr == 0) {  // one element per output
    l.nr = 1;
    l.rshape[0] = 1;
    l.rstride[0] = 1;
  }
  const bool red_contig = l.rstride[l.nr - 1] == 1;
  const bool kept_contig = l.nk > 0 && l.kstride[l.nk - 1] == 1;
  p.cols = kept_contig && !(red_contig && l.rshape[l.nr - 1] >= l.kshape[l.nk - 1]);
  ptrdiff_t width = 1;
  if (p.cols) {
    p.K = l.kshape[l.nk - 1];
    p.nj = (p.K + kColBlock - 1) / kColBlock;
    p.units = p.nout / p.K * p.nj;
    width = std::min(p.K, kColBlock);
  } else {
    p.units = p.nout;
  }
  const ptrdiff_t unit_work = std::max<ptrdiff_t>(1, p.per * width);
  p.per_block = p.nout * p.per <= kElementGrain ? p.units : std::max<ptrdiff_t>(1, kElementGrain / unit_work);
  p.nob = (p.units + p.per_block - 1) / p.per_block;
  p.chunk = p.per;
  const ptrdiff_t want = std::min(kMinItems, p.nout * p.per / kElementGrain);
  if (p.nob < want) {
    // Too few output blocks to share: cut each one's reduced range too (>= 4096 elements a chunk).
    const ptrdiff_t min_chunk = std::max<ptrdiff_t>(1, 4096 / width);
    const ptrdiff_t nrc = std::min((want + p.nob - 1) / p.nob, std::max<ptrdiff_t>(1, p.per / min_chunk));
    p.chunk = (p.per + nrc - 1) / nrc;
  }
  p.nrc = p.chunk > 0 ? (p.per + p.chunk - 1) / p.chunk : 1;
  return p;
}

// The runs along the innermost reduced dim that cover flat reduced indices [r0, r1): the start
// position is worked out once, then each() walks them for any base offset.
struct ReducedRange {
  ptrdiff_t r0, r1, i0;
  ptrdiff_t idx0[kMaxDims];
  ReducedRange(const ReduceLayout& l, ptrdiff_t r0_, ptrdiff_t r1_) : r0(r0_), r1(r1_) {
    const int last = l.nr - 1;
    i0 = r0 % l.rshape[last];
    ptrdiff_t rem = r0 / l.rshape[last];
    for (int d = last - 1; d >= 0; --d) {
      idx0[d] = rem % l.rshape[d];
      rem /= l.rshape[d];
    }
  }
  // f(offset from the output's base, flat index of the run's first element, run length)
  template <typename F>
  void each(const ReduceLayout& l, F&& f) const {
    const int last = l.nr - 1;
    const ptrdiff_t R = l.rshape[last];
    ptrdiff_t idx[kMaxDims];
    for (int d = 0; d < last; ++d) idx[d] = idx0[d];
    ptrdiff_t i = i0, pos = r0;
    while (pos < r1) {
      ptrdiff_t off = i * l.rstride[last];
      for (int d = 0; d < last; ++d) off += idx[d] * l.rstride[d];
      const ptrdiff_t n = std::min({R - i, r1 - pos, kMaxRun});
      f(off, pos, n);
      pos += n;
      i += n;
      if (i == R) {
        i = 0;
        for (int d = last - 1; d >= 0; --d) {
          if (++idx[d] < l.rshape[d]) break;
          idx[d] = 0;
        }
      }
    }
  }
};

// Policies for run_phase: what one output's result is (a double and, for argmax / argmin, an
// index), how runs and column blocks compute it, and how chunks' partial results merge.

// A RedKind: sums, products, max / min. c: the centre of each output (cvec) or one constant (cs).
template <typename T>
struct KindPolicy {
  const ReduceFns<T>& fn;
  int kind;
  const double* cvec;
  double cs;
  void init(double* v, int64_t*, ptrdiff_t n, ptrdiff_t) const { std::fill(v, v + n, red_detail::identity(kind)); }
  // Merges run r of x + r * rs (n elements xs apart) into output o + r, for r < m.
  void rows(double* v, int64_t*, const T* x, ptrdiff_t rs, ptrdiff_t m, ptrdiff_t xs, ptrdiff_t n,
            ptrdiff_t, ptrdiff_t o) const {
    fn.rows(kind, v, x, rs, m, xs, n, cvec ? cvec + o : nullptr, cs);
  }
  void merge_block(double* a, int64_t*, const double* b, const int64_t*, ptrdiff_t n) const {
    red_detail::merge_arrays(kind, a, b, n);
  }
  // Reduces columns [o0, o0 + w) over the range: each_run(f) calls f(x, rs, nrows, flat index).
  template <typename EachRun>
  void cols(EachRun&& each_run, ptrdiff_t w, ptrdiff_t, ptrdiff_t o0, double* v, int64_t*) const {
    const double id = red_detail::identity(kind);
    if (kind == RK_MAX || kind == RK_MIN || kind == RK_ABSMAX || kind == RK_ABSMIN) {  // in T
      T acc[kColBlock];
      std::fill(acc, acc + w, T(id));
      each_run([&](const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t) { fn.cols_ext(kind, acc, x, rs, nrows, w); });
      std::copy(acc, acc + w, v);
      return;
    }
    double cbuf[kColBlock];
    if (!cvec) std::fill(cbuf, cbuf + w, cs);
    const double* c = cvec ? cvec + o0 : cbuf;
    std::fill(v, v + w, id);
    each_run([&](const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t) { fn.cols(kind, v, x, rs, nrows, w, c); });
  }
};

// argmax / argmin: value and flat index; a NaN beats everything, ties keep the earlier index.
template <typename T>
struct ArgPolicy {
  const ReduceFns<T>& fn;
  bool is_max;
  // Identities that lose to any value (and on all-infinite ties, keep the range's first index).
  void init(double* v, int64_t* ix, ptrdiff_t n, ptrdiff_t r0) const {
    std::fill(v, v + n, is_max ? -INFINITY : INFINITY);
    std::fill(ix, ix + n, int64_t(r0));
  }
  void rows(double* v, int64_t* ix, const T* x, ptrdiff_t rs, ptrdiff_t m, ptrdiff_t xs, ptrdiff_t n,
            ptrdiff_t pos, ptrdiff_t) const {
    fn.arg_rows(is_max, v, ix, x, rs, m, xs, n, pos);
  }
  void merge(double& a, int64_t& ai, double b, int64_t bi) const {
    if ((is_max ? b > a : b < a) || (b != b && a == a)) {
      a = b;
      ai = bi;
    }
  }
  void merge_block(double* a, int64_t* ai, const double* b, const int64_t* bi, ptrdiff_t n) const {
    for (ptrdiff_t k = 0; k < n; ++k) merge(a[k], ai[k], b[k], bi[k]);
  }
  template <typename EachRun>
  void cols(EachRun&& each_run, ptrdiff_t w, ptrdiff_t r0, ptrdiff_t, double* v, int64_t* ix) const {
    T val[kColBlock];
    int32_t idx[kColBlock];  // reduced counts are below 2^31 (checked in Reduce)
    std::fill(val, val + w, T(is_max ? -INFINITY : INFINITY));
    std::fill(idx, idx + w, int32_t(r0));
    each_run([&](const T* x, ptrdiff_t rs, ptrdiff_t nrows, ptrdiff_t pos) {
      fn.arg_cols(is_max, val, idx, x, rs, nrows, w, int32_t(pos));
    });
    std::copy(val, val + w, v);
    std::copy(idx, idx + w, ix);
  }
};

// Reduces every output by the policy and hands the results to sink(o0, n, values, indices),
// from the pool's threads (disjoint output ranges) when the reduced range is not chunked.
template <typename T, typename P, typename Sink>
void run_phase(const Plan& pl, const T* x, const P& pol, Sink&& sink) {
  const ReduceLayout& l = pl.l;
  const ptrdiff_t rs = l.rstride[l.nr - 1];
  std::vector<double> pv;
  std::vector<int64_t> pi;
  if (pl.nrc > 1) {
    pv.resize(size_t(pl.nrc * pl.nout));
    pi.resize(size_t(pl.nrc * pl.nout));
  }
  auto deliver = [&](ptrdiff_t rc, ptrdiff_t o0, ptrdiff_t n, const double* v, const int64_t* i) {
    if (pl.nrc == 1) {
      sink(o0, n, v, i);
    } else {
      std::copy(v, v + n, pv.begin() + rc * pl.nout + o0);
      std::copy(i, i + n, pi.begin() + rc * pl.nout + o0);
    }
  };
  // Outputs in batches; within a batch, runs in order, each across the outputs' stretches along
  // the innermost kept dim (one kernel call per stretch, so short rows cost no call per output).
  auto rows_item = [&](ptrdiff_t u0, ptrdiff_t u1, ptrdiff_t rc, const ReducedRange& range) {
    const int kl = l.nk - 1;
    const ptrdiff_t ks = kl >= 0 ? l.kstride[kl] : 0;
    ptrdiff_t idx[kMaxDims];
    ptrdiff_t rem = u0;
    for (int d = kl; d >= 0; --d) {
      idx[d] = rem % l.kshape[d];
      rem /= l.kshape[d];
    }
    struct Stretch {
      ptrdiff_t k, m, base;
    };
    Stretch st[kBatch];
    double v[kBatch];
    int64_t ix[kBatch];
    for (ptrdiff_t o = u0; o < u1; o += kBatch) {
      const ptrdiff_t n = std::min(kBatch, u1 - o);
      int ns = 0;
      for (ptrdiff_t k = 0; k < n;) {
        ptrdiff_t base = l.offset;
        for (int d = 0; d <= kl; ++d) base += idx[d] * l.kstride[d];
        const ptrdiff_t m = kl >= 0 ? std::min(n - k, l.kshape[kl] - idx[kl]) : n - k;
        st[ns++] = {k, m, base};
        k += m;
        if (kl >= 0 && (idx[kl] += m) == l.kshape[kl]) {
          idx[kl] = 0;
          for (int d = kl - 1; d >= 0; --d) {
            if (++idx[d] < l.kshape[d]) break;
            idx[d] = 0;
          }
        }
      }
      pol.init(v, ix, n, range.r0);
      range.each(l, [&](ptrdiff_t off, ptrdiff_t pos, ptrdiff_t len) {
        for (int s = 0; s < ns; ++s) {
          pol.rows(v + st[s].k, ix + st[s].k, x + st[s].base + off, ks, st[s].m, rs, len, pos, o + st[s].k);
        }
      });
      deliver(rc, o, n, v, ix);
    }
  };
  auto cols_item = [&](ptrdiff_t u0, ptrdiff_t u1, ptrdiff_t rc, const ReducedRange& range) {
    double v[kColBlock];
    int64_t ix[kColBlock];
    for (ptrdiff_t cb = u0; cb < u1; ++cb) {
      const ptrdiff_t row = cb / pl.nj, j0 = (cb % pl.nj) * kColBlock;
      const ptrdiff_t w = std::min(kColBlock, pl.K - j0);
      ptrdiff_t base = l.offset + j0, rem = row;
      for (int d = l.nk - 2; d >= 0; --d) {
        base += (rem % l.kshape[d]) * l.kstride[d];
        rem /= l.kshape[d];
      }
      const ptrdiff_t o0 = row * pl.K + j0;
      auto each_run = [&](auto&& f) {
        range.each(l, [&](ptrdiff_t off, ptrdiff_t pos, ptrdiff_t len) { f(x + base + off, rs, len, pos); });
      };
      pol.cols(each_run, w, range.r0, o0, v, ix);
      deliver(rc, o0, w, v, ix);
    }
  };
  parallel_for(pl.nob * pl.nrc, [&](ptrdiff_t b0, ptrdiff_t b1) {
    for (ptrdiff_t b = b0; b < b1; ++b) {
      const ptrdiff_t ob = b / pl.nrc, rc = b % pl.nrc;
      const ptrdiff_t u0 = ob * pl.per_block, u1 = std::min(pl.units, u0 + pl.per_block);
      const ReducedRange range(l, rc * pl.chunk, std::min(pl.per, (rc + 1) * pl.chunk));
      if (pl.cols) cols_item(u0, u1, rc, range);
      else rows_item(u0, u1, rc, range);
    }
  });
  if (pl.nrc > 1) {  // merge the chunks' partial results in chunk order
    for (ptrdiff_t o = 0; o < pl.nout; o += kBatch) {
      const ptrdiff_t n = std::min(kBatch, pl.nout - o);
      double v[kBatch];
      int64_t ix[kBatch];
      std::copy(pv.begin() + o, pv.begin() + o + n, v);
      std::copy(pi.begin() + o, pi.begin() + o + n, ix);
      for (ptrdiff_t rc = 1; rc < pl.nrc; ++rc) {
        pol.merge_block(v, ix, pv.data() + rc * pl.nout + o, pi.data() + rc * pl.nout + o, n);
      }
      sink(o, n, v, ix);
    }
  }
}

template <typename T>
void run_reduce(int op, const Array& out, const Array& x, const ReduceLayout& layout, double param) {
  const Plan pl = make_plan(layout, op != R_ARGMAX && op != R_ARGMIN);
  if (pl.nout == 0) return;
  const ReduceFns<T>& fn = Sel<T>::reduce();
  const T* xp = x.as<T>();
  const double per = double(pl.per);
  // Runs one kind; finish(value, output index) gives each output's value.
  auto single = [&](int kind, const double* cvec, double cs, auto finish) {
    T* o = out.as<T>();
    auto sink = [&](ptrdiff_t o0, ptrdiff_t n, const double* v, const int64_t*) {
      for (ptrdiff_t k = 0; k < n; ++k) o[o0 + k] = static_cast<T>(finish(v[k], o0 + k));
    };
    if (pl.per == 0) {  // an empty reduced dim: every output is the kind's identity
      const double id = red_detail::identity(kind);
      for (ptrdiff_t k = 0; k < pl.nout; ++k) o[k] = static_cast<T>(finish(id, k));
      return;
    }
    run_phase(pl, xp, KindPolicy<T>{fn, kind, cvec, cs}, sink);
  };
  // First pass into a per-output centre (the mean of var, the max of logsumexp).
  auto centres = [&](int kind, auto finish) {
    std::vector<double> c(size_t(pl.nout), red_detail::identity(kind));
    auto sink = [&](ptrdiff_t o0, ptrdiff_t n, const double* v, const int64_t*) {
      for (ptrdiff_t k = 0; k < n; ++k) c[size_t(o0 + k)] = v[k];
    };
    if (pl.per > 0) run_phase(pl, xp, KindPolicy<T>{fn, kind, nullptr, 0.0}, sink);
    for (double& v : c) v = finish(v);
    return c;
  };
  auto same = [](double v, ptrdiff_t) { return v; };
  switch (op) {
    case R_SUM: single(RK_SUM, nullptr, 0.0, same); return;
    case R_MEAN: single(RK_SUM, nullptr, 0.0, [&](double v, ptrdiff_t) { return v / per; }); return;
    case R_PROD: single(RK_PROD, nullptr, 0.0, same); return;
    case R_MAX: single(RK_MAX, nullptr, 0.0, same); return;
    case R_MIN: single(RK_MIN, nullptr, 0.0, same); return;
    case R_VAR: {  // two passes: the mean, then the squared deviations from it
      const std::vector<double> mean = centres(RK_SUM, [&](double s) { return s / per; });
      const double denom = std::max(per - param, 0.0);  // PyTorch: 0 / 0 = NaN, s / 0 = inf
      single(RK_SUMSQ, mean.data(), 0.0, [&](double ss, ptrdiff_t) { return ss / denom; });
      return;
    }
    case R_LOGSUMEXP: {  // max, then m + log(sum exp(x - m)); NaN and infinite maxima pass through
      const std::vector<double> m = centres(RK_MAX, [](double v) { return v; });
      single(RK_SUMEXP, m.data(), 0.0, [&](double s, ptrdiff_t o) {
        const double mo = m[size_t(o)];
        return std::isfinite(mo) ? mo + std::log(s) : mo;
      });
      return;
    }
    case R_NORM: {
      const double p = param;
      if (p == 2) single(RK_SUMSQ, nullptr, 0.0, [](double v, ptrdiff_t) { return std::sqrt(v); });
      else if (p == 1) single(RK_ABSSUM, nullptr, 0.0, same);
      else if (p == 0) single(RK_NONZERO, nullptr, 0.0, same);
      else if (p == INFINITY) single(RK_ABSMAX, nullptr, 0.0, same);
      else if (p == -INFINITY) single(RK_ABSMIN, nullptr, 0.0, same);
      else single(RK_POW, nullptr, p, [&](double v, ptrdiff_t) { return std::pow(v, 1.0 / p); });
      return;
    }
    case R_ARGMAX:
    case R_ARGMIN: {
      int32_t* o = out.as<int32_t>();
      run_phase(pl, xp, ArgPolicy<T>{fn, op == R_ARGMAX},
                [&](ptrdiff_t o0, ptrdiff_t n, const double*, const int64_t* i) {
                  for (ptrdiff_t k = 0; k < n; ++k) o[o0 + k] = int32_t(i[k]);
                });
      return;
    }
  }
}

// reduce(op, out, x, meta, param); meta = [nk, kept sizes, nr, reduced sizes, offset,
// kept strides, reduced strides]. out is contiguous over the kept dims (int32 for arg ops).
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  const char* name = "reduce";
  require_args(info, 5, name);
  int op = int(get_int(info, 0, name, "op", 0, R_COUNT - 1));
  Array out = get_array(info, 1, name, "out"), x = get_array(info, 2, name, "x");
  float_dtype(info.Env(), name, x);
  const bool arg = op == R_ARGMAX || op == R_ARGMIN;
  if (arg ? out.dtype != DType::I32 : out.dtype != x.dtype) {
    throw_type(info.Env(), "reduce: output dtype does not match the op");
  }
  double param = get_number(info, 4, name, "param");
  Meta meta(info, 3, name);
  ReduceLayout l;
  constexpr int64_t kMax = int64_t(1) << 48;
  l.nk = int(meta.next(0, kMaxDims, "kept ndim"));
  for (int d = 0; d < l.nk; ++d) l.kshape[d] = ptrdiff_t(meta.next(0, kMax, "size"));
  l.nr = int(meta.next(0, kMaxDims - l.nk, "reduced ndim"));
  for (int d = 0; d < l.nr; ++d) l.rshape[d] = ptrdiff_t(meta.next(0, kMax, "size"));
  l.offset = ptrdiff_t(meta.next(0, kMax, "offset"));
  for (int d = 0; d < l.nk; ++d) l.kstride[d] = ptrdiff_t(meta.next(0, kMax, "stride"));
  for (int d = 0; d < l.nr; ++d) l.rstride[d] = ptrdiff_t(meta.next(0, kMax, "stride"));
  meta.done();
  ptrdiff_t shape[kMaxDims], strides[kMaxDims];
  for (int d = 0; d < l.nk; ++d) { shape[d] = l.kshape[d]; strides[d] = l.kstride[d]; }
  for (int d = 0; d < l.nr; ++d) { shape[l.nk + d] = l.rshape[d]; strides[l.nk + d] = l.rstride[d]; }
  check_extent(info.Env(), name, "x", x, l.offset, shape, strides, l.nk + l.nr);
  const ptrdiff_t nout = numel(l.kshape, l.nk), per = numel(l.rshape, l.nr);
  ptrdiff_t total;
  if (nout < 0 || per < 0 || __builtin_mul_overflow(nout, per, &total)) {
    throw_range(info.Env(), "reduce: the shape " + shape_str(shape, l.nk + l.nr) + " has too many elements");
  }
  check_length(info.Env(), name, "out", out, size_t(nout));
  if (per == 0 && nout > 0 && (op == R_MAX || op == R_MIN || arg)) {
    throw_range(info.Env(), "reduce: max, min, argmax and argmin need a non-empty reduced dim");
  }
  if (arg && per > std::numeric_limits<int32_t>::max()) {
    throw_range(info.Env(), "reduce: argmax and argmin index at most 2^31 - 1 reduced elements");
  }
  if (x.dtype == DType::F32) run_reduce<float>(op, out, x, l, param);
  else run_reduce<double>(op, out, x, l, param);
  return info.Env().Undefined();
}

}  // namespace

void register_reduce(Napi::Env env, Napi::Object exports) {
  exports["reduce"] = Napi::Function::New(env, Reduce, "reduce");
}

}  // namespace tg
