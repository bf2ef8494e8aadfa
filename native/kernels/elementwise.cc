// N-API entry points for elementwise ops: unary, unary backward, binary, where, copy, fill.
#include <atomic>
#include <cmath>
#include <string>

#include "../strided.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

template <typename T>
void run_unary(const Layout& l, const Array& y, const Array& x, int op, UnaryParams p) {
  auto fn = Sel<T>::unary();
  T* yp = y.as<T>();
  const T* xp = x.as<T>();
  for_each_run(l, [&](const ptrdiff_t* off, const ptrdiff_t* st, ptrdiff_t n) {
    fn(op, yp + off[0], st[0], xp + off[1], st[1], n, p);
  });
}

// unary(op, y, x, meta, a, b)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  const char* name = "unary";
  require_args(info, 6, name);
  int op = int(get_int(info, 0, name, "op", 0, U_COUNT - 1));
  Array arr[2] = {get_array(info, 1, name, "y"), get_array(info, 2, name, "x")};
  same_dtype(info.Env(), name, arr[0], arr[1]);
  float_dtype(info.Env(), name, arr[0]);
  UnaryParams p{get_number(info, 4, name, "a"), get_number(info, 5, name, "b")};
  Meta meta(info, 3, name);
  Layout l = read_layout(meta, name, arr, 2);
  if (arr[0].dtype == DType::F32) run_unary<float>(l, arr[0], arr[1], op, p);
  else run_unary<double>(l, arr[0], arr[1], op, p);
  return info.Env().Undefined();
}

template <typename T>
void run_unary_bwd(int op, const Array& gx, const Array& g, const Array& x, const Array& y,
                   UnaryParams p) {
  auto fn = Sel<T>::unary_bwd();
  const ptrdiff_t total = ptrdiff_t(gx.length);
  const ptrdiff_t nblocks = (total + kElementGrain - 1) / kElementGrain;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    const ptrdiff_t s = b0 * kElementGrain, e = std::min(total, b1 * kElementGrain);
    fn(op, gx.as<T>() + s, g.as<T>() + s, x.as<T>() + s, y.as<T>() + s, e - s, p);
  });
}

// unaryBackward(op, gx, g, x, y, a, b): contiguous arrays of one length.
Napi::Value UnaryBackward(const Napi::CallbackInfo& info) {
  const char* name = "unaryBackward";
  require_args(info, 7, name);
  int op = int(get_int(info, 0, name, "op", 0, U_COUNT - 1));
  Array gx = get_array(info, 1, name, "gx"), g = get_array(info, 2, name, "g"),
        x = get_array(info, 3, name, "x"), y = get_array(info, 4, name, "y");
  float_dtype(info.Env(), name, gx);
  for (const Array* a : {&g, &x, &y}) {
    same_dtype(info.Env(), name, gx, *a);
    check_length(info.Env(), name, "input", *a, gx.length);
  }
  UnaryParams p{get_number(info, 5, name, "a"), get_number(info, 6, name, "b")};
  if (gx.dtype == DType::F32) run_unary_bwd<float>(op, gx, g, x, y, p);
  else run_unary_bwd<double>(op, gx, g, x, y, p);
  return info.Env().Undefined();
}

template <typename T>
void run_binary(const Layout& l, const Array* arr, int op) {
  auto fn = Sel<T>::binary();
  T* o = arr[0].as<T>();
  const T* a = arr[1].as<T>();
  const T* b = arr[2].as<T>();
  for_each_rows(l, [&](const ptrdiff_t* off, const ptrdiff_t* st, ptrdiff_t n, const ptrdiff_t* rst, ptrdiff_t rows) {
    fn(op, o + off[0], st[0], a + off[1], st[1], b + off[2], st[2], n, rows, rst[0], rst[1], rst[2]);
  });
}

// The op code (argument 0) and out, a (arguments 1, 2) and b (argument b_index) of a binary entry:
// one dtype, and no integer div or pow.
int read_binary_args(const Napi::CallbackInfo& info, const char* name, size_t b_index, Array* arr) {
  const int op = int(get_int(info, 0, name, "op", 0, B_COUNT - 1));
  arr[0] = get_array(info, 1, name, "out");
  arr[1] = get_array(info, 2, name, "a");
  arr[2] = get_array(info, b_index, name, "b");
  same_dtype(info.Env(), name, arr[0], arr[1]);
  same_dtype(info.Env(), name, arr[0], arr[2]);
  if (arr[0].dtype == DType::I32 && (op == B_DIV || op == B_POW)) {
    throw_type(info.Env(), std::string(name) + ": div and pow need float tensors");
  }
  return op;
}

// binary(op, out, a, b, meta)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const char* name = "binary";
  require_args(info, 5, name);
  Array arr[3];
  const int op = read_binary_args(info, name, 3, arr);
  Meta meta(info, 4, name);
  Layout l = read_layout(meta, name, arr, 3);
  switch (arr[0].dtype) {
    case DType::F32: run_binary<float>(l, arr, op); break;
    case DType::F64: run_binary<double>(l, arr, op); break;
    case DType::I32: run_binary<int32_t>(l, arr, op); break;
  }
  return info.Env().Undefined();
}

template <typename T>
void run_binary_dense(const Array* arr, int op, ptrdiff_t a_off, ptrdiff_t b_off) {
  auto fn = Sel<T>::binary();
  T* o = arr[0].as<T>();
  const T* a = arr[1].as<T>() + a_off;
  const T* b = arr[2].as<T>() + b_off;
  const ptrdiff_t total = ptrdiff_t(arr[0].length);
  // The same blocks (and so the same kernel calls) as for_each_run gives a contiguous 1-D layout.
  const ptrdiff_t nblocks = (total + kElementGrain - 1) / kElementGrain;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    const ptrdiff_t s = b0 * kElementGrain, e = std::min(total, b1 * kElementGrain);
    fn(op, o + s, 1, a + s, 1, b + s, 1, e - s, 1, 0, 0, 0);
  });
}

// binaryDense(op, out, a, aOffset, b, bOffset): the contiguous same-shape case without layout
// metadata: out[i] = a[aOffset + i] op b[bOffset + i] for every element of out.
Napi::Value BinaryDense(const Napi::CallbackInfo& info) {
  const char* name = "binaryDense";
  require_args(info, 6, name);
  Array arr[3];
  const int op = read_binary_args(info, name, 4, arr);
  const size_t n = arr[0].length;
  const int64_t a_off = get_int(info, 3, name, "aOffset", 0, int64_t(arr[1].length));
  const int64_t b_off = get_int(info, 5, name, "bOffset", 0, int64_t(arr[2].length));
  check_length_at_least(info.Env(), name, "a", arr[1], size_t(a_off) + n);
  check_length_at_least(info.Env(), name, "b", arr[2], size_t(b_off) + n);
  switch (arr[0].dtype) {
    case DType::F32: run_binary_dense<float>(arr, op, a_off, b_off); break;
    case DType::F64: run_binary_dense<double>(arr, op, a_off, b_off); break;
    case DType::I32: run_binary_dense<int32_t>(arr, op, a_off, b_off); break;
  }
  return info.Env().Undefined();
}

template <typename T, typename C>
void run_where(const Layout& l, const Array* arr) {
  T* o = arr[0].as<T>();
  const C* c = arr[1].as<C>();
  const T* a = arr[2].as<T>();
  const T* b = arr[3].as<T>();
  for_each_run(l, [&](const ptrdiff_t* off, const ptrdiff_t* st, ptrdiff_t n) {
    T* op = o + off[0];
    const C* cp = c + off[1];
    const T* ap = a + off[2];
    const T* bp = b + off[3];
    for (ptrdiff_t i = 0; i < n; ++i) op[i * st[0]] = cp[i * st[1]] != C(0) ? ap[i * st[2]] : bp[i * st[3]];
  });
}

template <typename T>
void run_where_t(const Layout& l, const Array* arr) {
  switch (arr[1].dtype) {
    case DType::F32: run_where<T, float>(l, arr); break;
    case DType::F64: run_where<T, double>(l, arr); break;
    case DType::I32: run_where<T, int32_t>(l, arr); break;
  }
}

// where(out, cond, a, b, meta): cond of any dtype (nonzero is true).
Napi::Value Where(const Napi::CallbackInfo& info) {
  const char* name = "where";
  require_args(info, 5, name);
  Array arr[4] = {get_array(info, 0, name, "out"), get_array(info, 1, name, "cond"),
                  get_array(info, 2, name, "a"), get_array(info, 3, name, "b")};
  same_dtype(info.Env(), name, arr[0], arr[2]);
  same_dtype(info.Env(), name, arr[0], arr[3]);
  Meta meta(info, 4, name);
  Layout l = read_layout(meta, name, arr, 4);
  switch (arr[0].dtype) {
    case DType::F32: run_where_t<float>(l, arr); break;
    case DType::F64: run_where_t<double>(l, arr); break;
    case DType::I32: run_where_t<int32_t>(l, arr); break;
  }
  return info.Env().Undefined();
}

template <typename D, typename S>
void run_copy(const Layout& l, const Array* arr) {
  D* d = arr[0].as<D>();
  const S* s = arr[1].as<S>();
  for_each_run(l, [&](const ptrdiff_t* off, const ptrdiff_t* st, ptrdiff_t n) {
    D* dp = d + off[0];
    const S* sp = s + off[1];
    if (st[0] == 1 && st[1] == 1) {
      for (ptrdiff_t i = 0; i < n; ++i) dp[i] = static_cast<D>(sp[i]);
    } else {
      for (ptrdiff_t i = 0; i < n; ++i) dp[i * st[0]] = static_cast<D>(sp[i * st[1]]);
    }
  });
}

template <typename D>
void run_copy_from(const Layout& l, const Array* arr) {
  switch (arr[1].dtype) {
    case DType::F32: run_copy<D, float>(l, arr); break;
    case DType::F64: run_copy<D, double>(l, arr); break;
    case DType::I32: run_copy<D, int32_t>(l, arr); break;
  }
}

// copy(out, x, meta): strided copy with dtype conversion (float to int32 truncates toward zero;
// values outside the int32 range are rejected by the caller).
Napi::Value Copy(const Napi::CallbackInfo& info) {
  const char* name = "copy";
  require_args(info, 3, name);
  Array arr[2] = {get_array(info, 0, name, "out"), get_array(info, 1, name, "x")};
  Meta meta(info, 2, name);
  Layout l = read_layout(meta, name, arr, 2);
  if (arr[0].dtype == DType::I32 && arr[1].dtype != DType::I32) {
    // Converting NaN or out-of-range floats to int32 is undefined in C++: check first.
    std::atomic<bool> bad{false};
    Layout one = l;
    one.nops = 1;
    one.offset[0] = l.offset[1];
    for (int d = 0; d < l.ndim; ++d) one.stride[0][d] = l.stride[1][d];
    auto check = [&](auto* src) {
      for_each_run(one, [&](const ptrdiff_t* off, const ptrdiff_t* st, ptrdiff_t n) {
        for (ptrdiff_t i = 0; i < n; ++i) {
          double v = double(src[off[0] + i * st[0]]);
          if (!(v > -2147483649.0 && v < 2147483648.0)) bad.store(true, std::memory_order_relaxed);
        }
      });
    };
    if (arr[1].dtype == DType::F32) check(arr[1].as<float>());
    else check(arr[1].as<double>());
    if (bad.load()) throw_range(info.Env(), "copy: float values converted to int32 must be finite and within the int32 range");
  }
  switch (arr[0].dtype) {
    case DType::F32: run_copy_from<float>(l, arr); break;
    case DType::F64: run_copy_from<double>(l, arr); break;
    case DType::I32: run_copy_from<int32_t>(l, arr); break;
  }
  return info.Env().Undefined();
}

template <typename T>
void run_fill(const Layout& l, const Array& a, double v) {
  T* d = a.as<T>();
  const T tv = static_cast<T>(v);
  for_each_run(l, [&](const ptrdiff_t* off, const ptrdiff_t* st, ptrdiff_t n) {
    T* dp = d + off[0];
    for (ptrdiff_t i = 0; i < n; ++i) dp[i * st[0]] = tv;
  });
}

// fill(out, value, meta)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  const char* name = "fill";
  require_args(info, 3, name);
  Array arr[1] = {get_array(info, 0, name, "out")};
  double v = get_number(info, 1, name, "value");
  if (arr[0].dtype == DType::I32 && !(v > -2147483649.0 && v < 2147483648.0 && v == std::trunc(v))) {
    throw_range(info.Env(), "fill: int32 tensors need an integer value in the int32 range");
  }
  Meta meta(info, 2, name);
  Layout l = read_layout(meta, name, arr, 1);
  switch (arr[0].dtype) {
    case DType::F32: run_fill<float>(l, arr[0], v); break;
    case DType::F64: run_fill<double>(l, arr[0], v); break;
    case DType::I32: run_fill<int32_t>(l, arr[0], v); break;
  }
  return info.Env().Undefined();
}

}  // namespace

void register_elementwise(Napi::Env env, Napi::Object exports) {
  exports["unary"] = Napi::Function::New(env, Unary, "unary");
  exports["unaryBackward"] = Napi::Function::New(env, UnaryBackward, "unaryBackward");
  exports["binary"] = Napi::Function::New(env, Binary, "binary");
  exports["binaryDense"] = Napi::Function::New(env, BinaryDense, "binaryDense");
  exports["where"] = Napi::Function::New(env, Where, "where");
  exports["copy"] = Napi::Function::New(env, Copy, "copy");
  exports["fill"] = Napi::Function::New(env, Fill, "fill");
}

}  // namespace tg
