// Counter-based random numbers (Philox4x32-10, kernels/philox.h): element i of a call draws from
// counter (offset + i) under the generator's key, so the numbers never depend on the thread count.
// float32 uniforms (the initialisers' and dropout's) run the per-ISA loop (kernels/random_loops.h).
#include <cmath>
#include <string>

#include "../strided.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {
#include "philox.h"

PhiloxKey read_key(const Napi::CallbackInfo& info, size_t i, const char* op) {
  PhiloxKey k;
  k.k0 = uint32_t(get_int(info, i, op, "seed low word", 0, 0xFFFFFFFFll));
  k.k1 = uint32_t(get_int(info, i + 1, op, "seed high word", 0, 0xFFFFFFFFll));
  k.offset = uint64_t(get_int(info, i + 2, op, "offset", 0, int64_t(1) << 53));
  return k;
}

template <typename T, typename F>
void fill_random(const Array& out, const PhiloxKey& k, F&& draw) {
  T* p = out.as<T>();
  const ptrdiff_t total = ptrdiff_t(out.length);
  const ptrdiff_t nblocks = (total + kElementGrain - 1) / kElementGrain;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    const ptrdiff_t e = std::min(total, b1 * kElementGrain);
    for (ptrdiff_t i = b0 * kElementGrain; i < e; ++i) p[i] = static_cast<T>(draw(philox(k.offset + uint64_t(i), k.k0, k.k1)));
  });
}

// randomUniform(out, seedLo, seedHi, offset, low, high)
Napi::Value RandomUniform(const Napi::CallbackInfo& info) {
  const char* name = "randomUniform";
  require_args(info, 6, name);
  Array out = get_array(info, 0, name, "out");
  float_dtype(info.Env(), name, out);
  PhiloxKey k = read_key(info, 1, name);
  const double lo = get_number(info, 4, name, "low"), hi = get_number(info, 5, name, "high");
  if (out.dtype == DType::F32) {
    // 24 bits per float: each counter's four words serve four consecutive elements.
    const auto fn = kernels().uniform_f32;
    float* p = out.as<float>();
    const ptrdiff_t total = ptrdiff_t(out.length);
    const ptrdiff_t nblocks = (total + kElementGrain - 1) / kElementGrain;
    parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
      fn(p, b0 * kElementGrain, std::min(total, b1 * kElementGrain), k, float(lo), float(hi));
    });
  } else {
    fill_random<double>(out, k, [&](const Words& w) {
      double v = lo + u53(w.w[0], w.w[1]) * (hi - lo);
      return v < hi ? v : lo;
    });
  }
  return info.Env().Undefined();
}

// randomNormal(out, seedLo, seedHi, offset, mean, std): Box-Muller in double precision.
Napi::Value RandomNormal(const Napi::CallbackInfo& info) {
  const char* name = "randomNormal";
  require_args(info, 6, name);
  Array out = get_array(info, 0, name, "out");
  float_dtype(info.Env(), name, out);
  PhiloxKey k = read_key(info, 1, name);
  const double mean = get_number(info, 4, name, "mean"), sd = get_number(info, 5, name, "std");
  auto draw = [&](const Words& w) {
    const double u1 = 1.0 - u53(w.w[0], w.w[1]);  // (0, 1]
    const double u2 = u53(w.w[2], w.w[3]);
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  };
  if (out.dtype == DType::F32) fill_random<float>(out, k, draw);
  else fill_random<double>(out, k, draw);
  return info.Env().Undefined();
}

// randomInt(out, seedLo, seedHi, offset, low, high): integers in [low, high).
Napi::Value RandomInt(const Napi::CallbackInfo& info) {
  const char* name = "randomInt";
  require_args(info, 6, name);
  Array out = get_array(info, 0, name, "out");
  PhiloxKey k = read_key(info, 1, name);
  const int64_t lo = get_int(info, 4, name, "low", -(int64_t(1) << 53), int64_t(1) << 53);
  const int64_t hi = get_int(info, 5, name, "high", -(int64_t(1) << 53), int64_t(1) << 53);
  if (hi <= lo) throw_range(info.Env(), "randint: high must be greater than low");
  if (out.dtype == DType::I32 && (lo < INT32_MIN || hi - 1 > INT32_MAX)) {
    throw_range(info.Env(), "randint: bounds outside the int32 range");
  }
  const uint64_t range = uint64_t(hi - lo);
  auto draw = [&](const Words& w) {
    return lo + int64_t(((uint64_t(w.w[0]) << 32) | w.w[1]) % range);
  };
  switch (out.dtype) {
    case DType::F32: fill_random<float>(out, k, draw); break;
    case DType::F64: fill_random<double>(out, k, draw); break;
    case DType::I32: fill_random<int32_t>(out, k, draw); break;
  }
  return info.Env().Undefined();
}

// randperm(out, seedLo, seedHi, offset): Fisher-Yates, step i drawing from counter offset + i.
Napi::Value Randperm(const Napi::CallbackInfo& info) {
  const char* name = "randperm";
  require_args(info, 4, name);
  Array out = get_array(info, 0, name, "out");
  if (out.dtype != DType::I32) throw_type(info.Env(), "randperm: out must be int32");
  PhiloxKey k = read_key(info, 1, name);
  int32_t* p = out.as<int32_t>();
  const ptrdiff_t n = ptrdiff_t(out.length);
  for (ptrdiff_t i = 0; i < n; ++i) p[i] = int32_t(i);
  for (ptrdiff_t i = n - 1; i > 0; --i) {
    Words w = philox(k.offset + uint64_t(i), k.k0, k.k1);
    const ptrdiff_t j = ptrdiff_t(((uint64_t(w.w[0]) << 32) | w.w[1]) % uint64_t(i + 1));
    std::swap(p[i], p[j]);
  }
  return info.Env().Undefined();
}

}  // namespace

void register_random(Napi::Env env, Napi::Object exports) {
  exports["randomUniform"] = Napi::Function::New(env, RandomUniform, "randomUniform");
  exports["randomNormal"] = Napi::Function::New(env, RandomNormal, "randomNormal");
  exports["randomInt"] = Napi::Function::New(env, RandomInt, "randomInt");
  exports["randperm"] = Napi::Function::New(env, Randperm, "randperm");
}

}  // namespace tg
