// Reductions over any set of dims: the caller lists kept dims then reduced dims with the
// input's strides; each output element is reduced by one thread in a fixed order.
#include <cmath>
#include <limits>
#include <string>

#include "../parallel.h"
#include "../strided.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

struct ReduceLayout {
  int nk = 0, nr = 0;
  ptrdiff_t kshape[kMaxDims], rshape[kMaxDims];
  ptrdiff_t offset = 0;
  ptrdiff_t kstride[kMaxDims], rstride[kMaxDims];
  ptrdiff_t kept_numel() const {
    ptrdiff_t n = 1;
    for (int d = 0; d < nk; ++d) n *= kshape[d];
    return n;
  }
  ptrdiff_t red_numel() const {
    ptrdiff_t n = 1;
    for (int d = 0; d < nr; ++d) n *= rshape[d];
    return n;
  }
};

// Visits every reduced element of one output (innermost reduced dim as a strided run).
template <typename F>
void for_each_reduced_run(const ReduceLayout& l, ptrdiff_t base, F&& f) {
  if (l.nr == 0) {
    f(base, ptrdiff_t(1), ptrdiff_t(1));
    return;
  }
  const int last = l.nr - 1;
  const ptrdiff_t outer = l.red_numel() / (l.rshape[last] == 0 ? 1 : l.rshape[last]);
  if (l.rshape[last] == 0) return;
  ptrdiff_t idx[kMaxDims] = {0};
  for (ptrdiff_t o = 0; o < outer; ++o) {
    ptrdiff_t off = base;
    for (int d = 0; d < last; ++d) off += idx[d] * l.rstride[d];
    f(off, l.rstride[last], l.rshape[last]);
    for (int d = last - 1; d >= 0; --d) {
      if (++idx[d] < l.rshape[d]) break;
      idx[d] = 0;
    }
  }
}

template <typename T>
double reduce_one(int op, const T* x, const ReduceLayout& l, ptrdiff_t base, double param,
                  ptrdiff_t count) {
  auto sum = Sel<T>::sum();
  switch (op) {
    case R_SUM:
    case R_MEAN: {
      double s = 0;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) { s += sum(x + off, st, n); });
      return op == R_MEAN ? s / double(count) : s;
    }
    case R_PROD: {
      double s = 1;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; ++i) s *= double(x[off + i * st]);
      });
      return s;
    }
    case R_MAX:
    case R_MIN: {
      const bool is_max = op == R_MAX;
      double m = is_max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      bool nan = false;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; ++i) {
          double v = double(x[off + i * st]);
          if (v != v) nan = true;
          else if (is_max ? v > m : v < m) m = v;
        }
      });
      return nan ? std::numeric_limits<double>::quiet_NaN() : m;
    }
    case R_LOGSUMEXP: {
      double m = -std::numeric_limits<double>::infinity();
      bool nan = false;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; ++i) {
          double v = double(x[off + i * st]);
          if (v != v) nan = true;
          else if (v > m) m = v;
        }
      });
      if (nan) return std::numeric_limits<double>::quiet_NaN();
      if (std::isinf(m)) return m;
      double s = 0;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; ++i) s += std::exp(double(x[off + i * st]) - m);
      });
      return m + std::log(s);
    }
    case R_VAR: {
      double s = 0;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) { s += sum(x + off, st, n); });
      const double mean = s / double(count);
      double ss = 0;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; ++i) {
          double d = double(x[off + i * st]) - mean;
          ss += d * d;
        }
      });
      const double denom = double(count) - param;
      return denom > 0 ? ss / denom : (ss == 0 ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity());
    }
    case R_NORM: {
      const double p = param;
      double acc = 0;
      const bool inf_p = std::isinf(p);
      if (inf_p) acc = p > 0 ? 0 : std::numeric_limits<double>::infinity();
      bool nan = false;
      for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; ++i) {
          double a = std::fabs(double(x[off + i * st]));
          if (a != a) nan = true;
          else if (inf_p) acc = p > 0 ? std::max(acc, a) : std::min(acc, a);
          else if (p == 2) acc += a * a;
          else if (p == 1) acc += a;
          else if (p == 0) acc += a != 0 ? 1 : 0;
          else acc += std::pow(a, p);
        }
      });
      if (nan) return std::numeric_limits<double>::quiet_NaN();
      if (inf_p || p == 1 || p == 0) return acc;
      if (p == 2) return std::sqrt(acc);
      return std::pow(acc, 1.0 / p);
    }
  }
  return 0;
}

template <typename T>
int32_t arg_one(bool is_max, const T* x, const ReduceLayout& l, ptrdiff_t base) {
  int32_t best = 0, i_all = 0;
  double bv = 0;
  bool have = false, found_nan = false;
  for_each_reduced_run(l, base, [&](ptrdiff_t off, ptrdiff_t st, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; ++i, ++i_all) {
      if (found_nan) continue;
      double v = double(x[off + i * st]);
      if (v != v) { best = i_all; found_nan = true; continue; }  // NaN wins, as in PyTorch
      if (!have || (is_max ? v > bv : v < bv)) { bv = v; best = i_all; have = true; }
    }
  });
  return best;
}

template <typename T>
void run_reduce(int op, const Array& out, const Array& x, const ReduceLayout& l, double param) {
  const ptrdiff_t nout = l.kept_numel();
  const ptrdiff_t per = l.red_numel();
  const ptrdiff_t grain = std::max<ptrdiff_t>(1, kElementGrain / std::max<ptrdiff_t>(1, per));
  const ptrdiff_t nblocks = (nout + grain - 1) / grain;
  const T* xp = x.as<T>();
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    const ptrdiff_t s = b0 * grain, e = std::min(nout, b1 * grain);
    ptrdiff_t idx[kMaxDims];
    ptrdiff_t rem = s;
    for (int d = l.nk - 1; d >= 0; --d) {
      idx[d] = rem % l.kshape[d];
      rem /= l.kshape[d];
    }
    for (ptrdiff_t o = s; o < e; ++o) {
      ptrdiff_t base = l.offset;
      for (int d = 0; d < l.nk; ++d) base += idx[d] * l.kstride[d];
      if (op == R_ARGMAX || op == R_ARGMIN) {
        out.as<int32_t>()[o] = arg_one<T>(op == R_ARGMAX, xp, l, base);
      } else {
        out.as<T>()[o] = static_cast<T>(reduce_one<T>(op, xp, l, base, param, per));
      }
      for (int d = l.nk - 1; d >= 0; --d) {
        if (++idx[d] < l.kshape[d]) break;
        idx[d] = 0;
      }
    }
  });
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
  check_length(info.Env(), name, "out", out, size_t(l.kept_numel()));
  if (l.red_numel() == 0 && l.kept_numel() > 0 &&
      (op == R_MAX || op == R_MIN || arg)) {
    throw_range(info.Env(), "reduce: max, min, argmax and argmin need a non-empty reduced dim");
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
