// Optimizer updates: one call per parameter tensor reads the gradient and updates the parameter and
// its state buffers in place, in one fused pass of the unit's loop (kernels/optim_loops.h, in the
// per-ISA kernel table). This file validates the arguments and splits the work into fixed blocks.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "../strided.h"
#include "../validate.h"
#include "exports.h"

namespace tg {
namespace {

struct KindInfo {
  const char* name;
  int nhp;
};
constexpr KindInfo kKinds[O_COUNT] = {
    {"sgd", 7}, {"adagrad", 4}, {"rmsprop", 7}, {"adadelta", 5}, {"adam", 10}, {"adamax", 6}, {"nadam", 8},
};

template <typename T>
void run(int kind, const OptimBufs<T>& b, ptrdiff_t n, const double* hp) {
  const OptimFn<T> fn = Sel<T>::optim();
  const ptrdiff_t nblocks = (n + kElementGrain - 1) / kElementGrain;
  parallel_for(nblocks, [&](ptrdiff_t b0, ptrdiff_t b1) {
    fn(kind, b, b0 * kElementGrain, std::min(n, b1 * kElementGrain), hp);
  });
}

// Which state buffers a kind reads, given its hyperparameters.
void needed_states(int kind, const double* hp, bool need[3]) {
  need[0] = need[1] = need[2] = false;
  switch (kind) {
    case O_SGD: need[0] = hp[2] != 0; break;
    case O_ADAGRAD: need[0] = true; break;
    case O_RMSPROP: need[0] = true; need[1] = hp[5] != 0; need[2] = hp[4] > 0; break;
    case O_ADADELTA: need[0] = need[1] = true; break;
    case O_ADAM: need[0] = need[1] = true; need[2] = hp[5] != 0; break;
    case O_ADAMAX: need[0] = need[1] = true; break;
    case O_NADAM: need[0] = need[1] = true; break;
  }
}

// Indices of the 0/1 flags in each kind's hyperparameters (-1 ends the list).
constexpr int kFlags[O_COUNT][4] = {
    {4, 5, 6, -1}, {3, -1}, {5, 6, -1}, {4, -1}, {5, 6, 7, -1}, {4, -1}, {4, -1},
};

struct Region {
  const char* name;
  const char* lo;
  const char* hi;
};

// The bytes of a[off .. off + n).
Region region(const char* name, const Array& a, int64_t off, int64_t n) {
  const char* base = static_cast<const char*>(a.data);
  return {name, base + off * a.element_size(), base + (off + n) * a.element_size()};
}

void check_span(const Napi::Env& env, const std::string& op, const char* name, const Array& a, int64_t off,
                int64_t n) {
  if (uint64_t(off + n) > a.length) {
    throw_range(env, op + ": " + name + " (length " + std::to_string(a.length) + ") is too short for " +
                         std::to_string(n) + " elements at offset " + std::to_string(off));
  }
}

// optimStep(kind, param, paramOffset, grad, gradOffset, n, s0, s1, s2, hp): updates
// param[paramOffset .. +n) and the state arrays (each exactly n long, or null when unused) in place.
Napi::Value OptimStep(const Napi::CallbackInfo& info) {
  const char* name = "optimStep";
  const Napi::Env env = info.Env();
  require_args(info, 10, name);
  const int kind = int(get_int(info, 0, name, "kind", 0, O_COUNT - 1));
  const std::string op = std::string(name) + " (" + kKinds[kind].name + ")";
  const char* opc = op.c_str();
  Array param = get_array(info, 1, opc, "param");
  float_dtype(env, opc, param);
  const int64_t poff = get_int(info, 2, opc, "paramOffset", 0, int64_t(1) << 48);
  Array grad = get_array(info, 3, opc, "grad");
  same_dtype(env, opc, param, grad);
  const int64_t goff = get_int(info, 4, opc, "gradOffset", 0, int64_t(1) << 48);
  const int64_t n = get_int(info, 5, opc, "n", 0, int64_t(1) << 48);
  check_span(env, op, "param", param, poff, n);
  check_span(env, op, "grad", grad, goff, n);
  const Array hp_array = get_f64_array(info, 9, opc, "hyperparameters");
  const size_t nhp = hp_array.length;
  if (nhp != size_t(kKinds[kind].nhp)) {
    throw_range(env, op + ": expected " + std::to_string(kKinds[kind].nhp) + " hyperparameters, got " +
                         std::to_string(nhp));
  }
  double hp[16];
  std::memcpy(hp, hp_array.data, nhp * sizeof(double));
  for (size_t i = 0; i < nhp; ++i) {
    if (!std::isfinite(hp[i])) throw_range(env, op + ": hyperparameter " + std::to_string(i) + " is not finite");
  }
  for (const int* f = kFlags[kind]; *f >= 0; ++f) {
    if (hp[*f] != 0 && hp[*f] != 1) throw_range(env, op + ": hyperparameter " + std::to_string(*f) + " must be 0 or 1");
  }
  bool need[3];
  needed_states(kind, hp, need);
  static const char* snames[3] = {"state 0", "state 1", "state 2"};
  Array st[3] = {};
  Region regions[5];
  int nreg = 0;
  regions[nreg++] = region("param", param, poff, n);
  regions[nreg++] = region("grad", grad, goff, n);
  for (int k = 0; k < 3; ++k) {
    if (!need[k]) continue;
    if (info[6 + k].IsNull() || info[6 + k].IsUndefined()) {
      throw_type(env, op + ": " + snames[k] + " is required by these options but is null");
    }
    st[k] = get_array(info, 6 + k, opc, snames[k]);
    same_dtype(env, opc, param, st[k]);
    check_length(env, opc, snames[k], st[k], size_t(n));
    regions[nreg++] = region(snames[k], st[k], 0, n);
  }
  // The loops assume no two buffers overlap (the grad is only read, but an aliased grad would
  // change under the update).
  if (n > 0) {
    for (int i = 0; i < nreg; ++i)
      for (int j = i + 1; j < nreg; ++j)
        if (regions[i].lo < regions[j].hi && regions[j].lo < regions[i].hi)
          throw_range(env, op + ": " + regions[i].name + " and " + regions[j].name + " share memory");
  }
  with_float_type(param.dtype, [&](auto tag) {
    using T = decltype(tag);
    const OptimBufs<T> b{param.as<T>() + poff, grad.as<T>() + goff, st[0].as<T>(), st[1].as<T>(), st[2].as<T>()};
    run<T>(kind, b, ptrdiff_t(n), hp);
  });
  return env.Undefined();
}

}  // namespace

void register_optim(Napi::Env env, Napi::Object exports) {
  exports["optimStep"] = Napi::Function::New(env, OptimStep, "optimStep");
}

}  // namespace tg
