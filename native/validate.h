// Argument checks shared by every exported function: nothing from JavaScript reaches a kernel
// before its type, typed-array kind, length and index ranges have been checked here.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace tg {

constexpr int kMaxDims = 16;

struct Array {
  DType dtype;
  void* data;
  size_t length;  // in elements
  template <typename T> T* as() const { return static_cast<T*>(data); }
  // The data, or nullptr for an empty array (how optional arguments arrive).
  template <typename T> T* as_or_null() const { return length ? as<T>() : nullptr; }
  size_t element_size() const { return dtype == DType::F64 ? 8 : 4; }
};

[[noreturn]] void throw_type(const Napi::Env& env, const std::string& msg);
[[noreturn]] void throw_range(const Napi::Env& env, const std::string& msg);

const char* dtype_name(DType d);
std::string shape_str(const ptrdiff_t* shape, int ndim);

// A Float32Array, Float64Array or Int32Array argument.
Array get_array(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);
// A Float64Array argument; anything else throws "<op>: <name> must be a Float64Array".
Array get_f64_array(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);
// A finite integer argument within [lo, hi].
int64_t get_int(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name,
                int64_t lo, int64_t hi);
double get_number(const Napi::CallbackInfo& info, size_t i, const char* op, const char* name);
void require_args(const Napi::CallbackInfo& info, size_t n, const char* op);
void same_dtype(const Napi::Env& env, const char* op, const Array& a, const Array& b);
void float_dtype(const Napi::Env& env, const char* op, const Array& a);
// Throws "<op>: output overlaps an input" (TypeError) when the two arrays share any byte.
void no_overlap(const Napi::Env& env, const char* op, const Array& out, const Array& in);

// Calls f(float{}) or f(double{}) for a float dtype (float_dtype has ruled out int32), so that one
// generic lambda, with `using T = decltype(tag)`, runs a kernel template for either type.
template <typename F>
void with_float_type(DType d, F&& f) {
  if (d == DType::F32) f(float{});
  else f(double{});
}

// v is an integer in [lo, hi]. NaN fails the comparisons and the range check makes the cast
// defined; cheaper than isfinite and floor (a libm call in the baseline build).
inline bool int_in(double v, int64_t lo, int64_t hi) {
  return v >= double(lo) && v <= double(hi) && v > -9.2e18 && v < 9.2e18 && double(int64_t(v)) == v;
}

// Integer metadata (shapes, strides, offsets) packed in a Float64Array.
class Meta {
 public:
  Meta(const Napi::CallbackInfo& info, size_t i, const char* op);
  // Inline for the valid case; anything else goes to next_checked, which throws.
  int64_t next(int64_t lo, int64_t hi, const char* what) {
    if (pos_ < n_ && int_in(p_[pos_], lo, hi)) return int64_t(p_[pos_++]);
    return next_checked(lo, hi, what);
  }
  double next_real();
  void done();  // every entry consumed
  Napi::Env env() const { return env_; }
 private:
  int64_t next_checked(int64_t lo, int64_t hi, const char* what);
  const Napi::Env env_;
  const char* op_;
  const double* p_;
  size_t n_, pos_ = 0;
};

// N-D layout over several operands that share one iteration shape; operand strides may be 0
// (broadcast). Reading it checks every operand's extent against its array.
struct Layout {
  int ndim = 0;
  int nops = 0;
  ptrdiff_t shape[kMaxDims];
  ptrdiff_t offset[4];
  ptrdiff_t stride[4][kMaxDims];
  ptrdiff_t numel() const;
};

// Reads [ndim, shape..., then per operand: offset, strides...] and checks each operand fits.
Layout read_layout(Meta& meta, const char* op, const Array* arrays, int nops);
void check_extent(const Napi::Env& env, const char* op, const char* name, const Array& a,
                  ptrdiff_t offset, const ptrdiff_t* shape, const ptrdiff_t* strides, int ndim);
void check_length(const Napi::Env& env, const char* op, const char* name, const Array& a,
                  size_t expected);
// Throws "<op>: <name> has length L, expected at least N" (RangeError) when a is shorter than n.
void check_length_at_least(const Napi::Env& env, const char* op, const char* name, const Array& a,
                           size_t n);

// Merges dims that are contiguous for every operand and drops size-1 dims.
void coalesce(Layout& l);

}  // namespace tg
