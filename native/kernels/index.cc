// Index ops on contiguous data: indexSelect / indexAdd and gather / scatterAdd.
#include <cstring>
#include <string>

#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

constexpr int64_t kMax = int64_t(1) << 48;

void check_indices(const Napi::Env& env, const char* op, const Array& index, ptrdiff_t size) {
  const int32_t* ip = index.as<int32_t>();
  for (size_t i = 0; i < index.length; ++i) {
    if (ip[i] < 0 || ip[i] >= size) {
      throw_range(env, std::string(op) + ": index " + std::to_string(ip[i]) +
                           " is out of range for a dim of size " + std::to_string(size));
    }
  }
}

Array get_index(const Napi::CallbackInfo& info, size_t i, const char* op) {
  Array idx = get_array(info, i, op, "index");
  if (idx.dtype != DType::I32) throw_type(info.Env(), std::string(op) + ": index must be int32");
  return idx;
}

template <typename T>
void select_rows(T* out, const T* x, const int32_t* idx, ptrdiff_t outer, ptrdiff_t dim,
                 ptrdiff_t n, ptrdiff_t inner) {
  for (ptrdiff_t o = 0; o < outer; ++o)
    for (ptrdiff_t j = 0; j < n; ++j)
      std::memcpy(out + (o * n + j) * inner, x + (o * dim + idx[j]) * inner, sizeof(T) * inner);
}

template <typename T>
void add_rows(T* gx, const T* g, const int32_t* idx, ptrdiff_t outer, ptrdiff_t dim, ptrdiff_t n,
              ptrdiff_t inner) {
  for (ptrdiff_t o = 0; o < outer; ++o)
    for (ptrdiff_t j = 0; j < n; ++j) {
      T* dst = gx + (o * dim + idx[j]) * inner;
      const T* src = g + (o * n + j) * inner;
      for (ptrdiff_t i = 0; i < inner; ++i) dst[i] += src[i];
    }
}

// indexSelect(out, x, index, meta=[outer, dim, inner]) and indexAdd(gx, g, index, meta).
Napi::Value IndexRows(const Napi::CallbackInfo& info, bool add) {
  const char* name = add ? "indexAdd" : "indexSelect";
  require_args(info, 4, name);
  Array out = get_array(info, 0, name, add ? "gx" : "out");
  Array x = get_array(info, 1, name, add ? "g" : "x");
  Array idx = get_index(info, 2, name);
  same_dtype(info.Env(), name, out, x);
  if (add) float_dtype(info.Env(), name, out);
  Meta meta(info, 3, name);
  const ptrdiff_t outer = meta.next(0, kMax, "outer"), dim = meta.next(0, kMax, "dim size"),
                  inner = meta.next(0, kMax, "inner");
  meta.done();
  const ptrdiff_t n = ptrdiff_t(idx.length);
  const size_t big = size_t(outer * dim * inner), small = size_t(outer * n * inner);
  check_length(info.Env(), name, add ? "gx" : "x", add ? out : x, big);
  check_length(info.Env(), name, add ? "g" : "out", add ? x : out, small);
  check_indices(info.Env(), name, idx, dim);
  const int32_t* ip = idx.as<int32_t>();
  switch (out.dtype) {
    case DType::F32:
      add ? add_rows(out.as<float>(), x.as<float>(), ip, outer, dim, n, inner)
          : select_rows(out.as<float>(), x.as<float>(), ip, outer, dim, n, inner);
      break;
    case DType::F64:
      add ? add_rows(out.as<double>(), x.as<double>(), ip, outer, dim, n, inner)
          : select_rows(out.as<double>(), x.as<double>(), ip, outer, dim, n, inner);
      break;
    case DType::I32: select_rows(out.as<int32_t>(), x.as<int32_t>(), ip, outer, dim, n, inner); break;
  }
  return info.Env().Undefined();
}

Napi::Value IndexSelect(const Napi::CallbackInfo& info) { return IndexRows(info, false); }
Napi::Value IndexAdd(const Napi::CallbackInfo& info) { return IndexRows(info, true); }

template <typename T>
void gather_loop(bool add, T* big, T* small, const int32_t* idx, int nd, int dim,
                 const ptrdiff_t* xshape, const ptrdiff_t* ishape) {
  ptrdiff_t xstride[kMaxDims];
  ptrdiff_t s = 1;
  for (int d = nd - 1; d >= 0; --d) { xstride[d] = s; s *= xshape[d]; }
  ptrdiff_t total = 1;
  for (int d = 0; d < nd; ++d) total *= ishape[d];
  ptrdiff_t id[kMaxDims] = {0};
  for (ptrdiff_t i = 0; i < total; ++i) {
    ptrdiff_t off = 0;
    for (int d = 0; d < nd; ++d) off += (d == dim ? ptrdiff_t(idx[i]) : id[d]) * xstride[d];
    if (add) big[off] += small[i];
    else small[i] = big[off];
    for (int d = nd - 1; d >= 0; --d) {
      if (++id[d] < ishape[d]) break;
      id[d] = 0;
    }
  }
}

// gather(out, x, index, meta=[ndim, dim, x sizes, index sizes]); scatterAdd(gx, g, index, meta).
Napi::Value GatherImpl(const Napi::CallbackInfo& info, bool add) {
  const char* name = add ? "scatterAdd" : "gather";
  require_args(info, 4, name);
  Array first = get_array(info, 0, name, add ? "gx" : "out");
  Array second = get_array(info, 1, name, add ? "g" : "x");
  Array idx = get_index(info, 2, name);
  same_dtype(info.Env(), name, first, second);
  if (add) float_dtype(info.Env(), name, first);
  Meta meta(info, 3, name);
  const int nd = int(meta.next(1, kMaxDims, "ndim"));
  const int dim = int(meta.next(0, nd - 1, "dim"));
  ptrdiff_t xshape[kMaxDims], ishape[kMaxDims];
  ptrdiff_t xn = 1, in = 1;
  for (int d = 0; d < nd; ++d) { xshape[d] = meta.next(0, kMax, "size"); xn *= xshape[d]; }
  for (int d = 0; d < nd; ++d) { ishape[d] = meta.next(0, kMax, "size"); in *= ishape[d]; }
  meta.done();
  for (int d = 0; d < nd; ++d) {
    if (d != dim && ishape[d] > xshape[d]) {
      throw_range(info.Env(), std::string(name) + ": index shape " + shape_str(ishape, nd) +
                                  " exceeds input shape " + shape_str(xshape, nd) + " at dim " + std::to_string(d));
    }
  }
  const Array& big = add ? first : second;
  const Array& small = add ? second : first;
  check_length(info.Env(), name, add ? "gx" : "x", big, size_t(xn));
  check_length(info.Env(), name, add ? "g" : "out", small, size_t(in));
  check_length(info.Env(), name, "index", idx, size_t(in));
  check_indices(info.Env(), name, idx, xshape[dim]);
  const int32_t* ip = idx.as<int32_t>();
  switch (first.dtype) {
    case DType::F32: gather_loop(add, big.as<float>(), small.as<float>(), ip, nd, dim, xshape, ishape); break;
    case DType::F64: gather_loop(add, big.as<double>(), small.as<double>(), ip, nd, dim, xshape, ishape); break;
    case DType::I32: gather_loop(false, big.as<int32_t>(), small.as<int32_t>(), ip, nd, dim, xshape, ishape); break;
  }
  return info.Env().Undefined();
}

Napi::Value Gather(const Napi::CallbackInfo& info) { return GatherImpl(info, false); }
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) { return GatherImpl(info, true); }

}  // namespace

void register_index(Napi::Env env, Napi::Object exports) {
  exports["indexSelect"] = Napi::Function::New(env, IndexSelect, "indexSelect");
  exports["indexAdd"] = Napi::Function::New(env, IndexAdd, "indexAdd");
  exports["gather"] = Napi::Function::New(env, Gather, "gather");
  exports["scatterAdd"] = Napi::Function::New(env, ScatterAdd, "scatterAdd");
}

}  // namespace tg
