#include "validate.h"

#include <cmath>
#include <sstream>

namespace tg {

void throw_type(const Napi::Env& env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}
void throw_range(const Napi::Env& env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I32: return "int32";
  }
  return "?";
}

std::string shape_str(const ptrdiff_t* shape, int ndim) {
  std::ostringstream s;
  s << '[';
  for (int i = 0; i < ndim; ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

void require_args(const Napi::CallbackInfo& info, size_t n, const char* op) {
  if (info.Length() < n) {
    throw_type(info.Env(), std::string(op) + ": expected " + std::to_string(n) +
                               " arguments, got " + std::to_string(info.Length()));
  }
}

namespace {
// One napi_get_typedarray_info call checks the value and gives kind, length and the (offset) data
// pointer; the node-addon-api accessors would make about six calls per array.
bool typed_info(napi_env env, napi_value v, napi_typedarray_type* type, size_t* length, void** data) {
  // Fails with napi_invalid_arg (and no pending exception) for anything but a typed array.
  return napi_get_typedarray_info(env, v, type, length, data, nullptr, nullptr) == napi_ok;
}
}  // namespace

Array get_array(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  napi_typedarray_type type;
  Array a;
  if (i >= info.Length() || !typed_info(info.Env(), info[i], &type, &a.length, &a.data)) type = napi_uint8_array;
  switch (type) {
    case napi_float32_array: a.dtype = DType::F32; break;
    case napi_float64_array: a.dtype = DType::F64; break;
    case napi_int32_array: a.dtype = DType::I32; break;
    default:
      throw_type(info.Env(), std::string(op) + ": " + name + " must be a Float32Array, Float64Array or Int32Array");
  }
  return a;
}

Array get_f64_array(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  napi_typedarray_type type = napi_uint8_array;
  Array a{DType::F64, nullptr, 0};
  if (i >= info.Length() || !typed_info(info.Env(), info[i], &type, &a.length, &a.data) || type != napi_float64_array) {
    throw_type(info.Env(), std::string(op) + ": " + name + " must be a Float64Array");
  }
  return a;
}

int64_t get_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                int64_t lo, int64_t hi) {
  double v = get_number(info, i, op, name);
  if (!int_in(v, lo, hi)) {
    throw_range(info.Env(), std::string(op) + ": " + name + " must be an integer in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                                std::to_string(v));
  }
  return int64_t(v);
}

double get_number(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name) {
  double v = 0;
  // One call: napi_number_expected (no pending exception) for anything but a number.
  if (i >= info.Length() || napi_get_value_double(info.Env(), info[i], &v) != napi_ok) {
    throw_type(info.Env(), std::string(op) + ": " + name + " must be a number");
  }
  return v;
}

void same_dtype(const Napi::Env& env, const char* op, const Array& a, const Array& b) {
  if (a.dtype != b.dtype) {
    throw_type(env, std::string(op) + ": dtype mismatch (" + dtype_name(a.dtype) + " vs " +
                        dtype_name(b.dtype) + ")");
  }
}

void float_dtype(const Napi::Env& env, const char* op, const Array& a) {
  if (a.dtype == DType::I32) throw_type(env, std::string(op) + ": int32 is not supported");
}

void no_overlap(const Napi::Env& env, const char* op, const Array& out, const Array& in) {
  const auto* o = static_cast<const uint8_t*>(out.data);
  const auto* i = static_cast<const uint8_t*>(in.data);
  if (out.length > 0 && in.length > 0 && o < i + in.length * in.element_size() &&
      i < o + out.length * out.element_size()) {
    throw_type(env, std::string(op) + ": output overlaps an input");
  }
}

Meta::Meta(const Napi::CallbackInfo& info, size_t i, const char* op) : env_(info.Env()), op_(op) {
  const Array a = get_f64_array(info, i, op, "layout metadata");
  p_ = a.as<const double>();
  n_ = a.length;
}

int64_t Meta::next_checked(int64_t lo, int64_t hi, const char* what) {
  if (pos_ >= n_) throw_range(env_, std::string(op_) + ": layout metadata is too short");
  double v = p_[pos_++];
  if (!int_in(v, lo, hi)) {
    throw_range(env_, std::string(op_) + ": " + what + " must be an integer in [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                          std::to_string(v));
  }
  return int64_t(v);
}

double Meta::next_real() {
  if (pos_ >= n_) throw_range(env_, std::string(op_) + ": layout metadata is too short");
  return p_[pos_++];
}

void Meta::done() {
  if (pos_ != n_) throw_range(env_, std::string(op_) + ": layout metadata has extra entries");
}

constexpr int64_t kMaxExtent = int64_t(1) << 48;

ptrdiff_t Layout::numel() const {
  ptrdiff_t n = 1;
  for (int d = 0; d < ndim; ++d) n *= shape[d];
  return n;
}

void check_extent(const Napi::Env& env, const char* op, const char* name, const Array& a,
                  ptrdiff_t offset, const ptrdiff_t* shape, const ptrdiff_t* strides, int ndim) {
  // Shapes and strides are each below 2^48 and ndim <= 16, so the products fit when done in
  // long double steps with a cap; any empty dim means nothing is touched.
  long double last = (long double)offset;
  for (int d = 0; d < ndim; ++d) {
    if (shape[d] == 0) return;
    last += (long double)(shape[d] - 1) * (long double)strides[d];
  }
  if (last >= (long double)a.length) {
    std::ostringstream s;
    s << op << ": " << name << " (" << dtype_name(a.dtype) << " array of length " << a.length
      << ") is too short for shape " << shape_str(shape, ndim) << " with strides "
      << shape_str(strides, ndim) << " at offset " << offset;
    throw_range(env, s.str());
  }
}

void check_length(const Napi::Env& env, const char* op, const char* name, const Array& a,
                  size_t expected) {
  if (a.length != expected) {
    throw_range(env, std::string(op) + ": " + name + " has length " + std::to_string(a.length) +
                         ", expected " + std::to_string(expected));
  }
}

void check_length_at_least(const Napi::Env& env, const char* op, const char* name, const Array& a,
                           size_t n) {
  if (a.length < n) {
    throw_range(env, std::string(op) + ": " + name + " has length " + std::to_string(a.length) +
                         ", expected at least " + std::to_string(n));
  }
}

Layout read_layout(Meta& meta, const char* op, const Array* arrays, int nops) {
  static const char* names[] = {"operand 0", "operand 1", "operand 2", "operand 3"};
  Layout l;
  l.nops = nops;
  l.ndim = int(meta.next(0, kMaxDims, "ndim"));
  long double total = 1;
  for (int d = 0; d < l.ndim; ++d) {
    l.shape[d] = ptrdiff_t(meta.next(0, kMaxExtent, "size"));
    total *= (long double)l.shape[d];
  }
  if (total > (long double)kMaxExtent) {
    throw_range(meta.env(), std::string(op) + ": shape " + shape_str(l.shape, l.ndim) + " is too large");
  }
  for (int k = 0; k < nops; ++k) {
    l.offset[k] = ptrdiff_t(meta.next(0, kMaxExtent, "offset"));
    for (int d = 0; d < l.ndim; ++d) l.stride[k][d] = ptrdiff_t(meta.next(0, kMaxExtent, "stride"));
  }
  meta.done();
  for (int k = 0; k < nops; ++k)
    check_extent(meta.env(), op, names[k], arrays[k], l.offset[k], l.shape, l.stride[k], l.ndim);
  return l;
}

void coalesce(Layout& l) {
  int nd = 0;
  for (int d = 0; d < l.ndim; ++d) {
    if (l.shape[d] == 1) continue;
    if (nd > 0) {
      bool merge = true;
      for (int k = 0; k < l.nops; ++k)
        if (l.stride[k][nd - 1] != l.stride[k][d] * l.shape[d]) merge = false;
      if (merge) {
        l.shape[nd - 1] *= l.shape[d];
        for (int k = 0; k < l.nops; ++k) l.stride[k][nd - 1] = l.stride[k][d];
        continue;
      }
    }
    l.shape[nd] = l.shape[d];
    for (int k = 0; k < l.nops; ++k) l.stride[k][nd] = l.stride[k][d];
    ++nd;
  }
  l.ndim = nd;
}

}  // namespace tg
