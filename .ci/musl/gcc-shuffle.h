// Pre-included by .ci/musl.sh when zig c++ (clang) compiles the addon: GCC's __builtin_shuffle with
// GCC's meaning (lane i of the result is lane mask[i] mod N of v), which clang does not have.
#ifdef __cplusplus
template <class V, class M> static inline V tapegrad_gcc_shuffle(V v, M m) {
  constexpr int n = sizeof(V) / sizeof(v[0]);
  static_assert((n & (n - 1)) == 0, "lane count is a power of two");
  V r;
  for (int i = 0; i < n; ++i) r[i] = v[m[i] & (n - 1)];
  return r;
}
#define __builtin_shuffle tapegrad_gcc_shuffle
#endif
