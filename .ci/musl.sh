#!/usr/bin/env bash
# tapegrad in a real musl libc process, on this glibc machine: Bun's musl build
# (@oven/bun-linux-x64-musl, a Node-API runtime) on Debian's musl. The package has no musl
# prebuild, so loading it there must fail with the explicit message (platform, prebuilds, the
# commands to build from source) rather than a relocation error from the dynamic loader.
#
# Why there is no linux-x64-musl prebuild: building one needs a C++ standard library compiled for
# musl. Alpine's packages cannot be reached from here (only the npm registry and Debian's), Debian's
# musl-tools has a C compiler only, the npm registry has no musl Node, and the one musl C++ toolchain
# it has (Zig, clang-based) cannot compile the kernels (GCC's __builtin_shuffle).
#
# Bun's musl binary needs a musl libstdc++.so.6 at run time (Alpine's libstdc++ package): it is
# linked here from Debian's libstdc++-<gcc>-pic with musl-gcc, plus a few glibc-only symbols. That
# library is Bun's, for this check only; tapegrad's addon never loads into this process.
#
# Usage: bash .ci/musl.sh APP_DIR (a project with the packed tarball installed). Installs musl,
# musl-tools and libstdc++-<gcc>-pic with apt if missing. Exits 0 on success, 1 on failure, and
# 2 with a loud SKIPPED line when the tools or Bun cannot be had.
set -euo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app=$(cd "${1:?usage: musl.sh APP_DIR}" && pwd)
cache=${TAPEGRAD_RUNTIMES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tapegrad-runtimes}
mkdir -p "$cache"
source "$repo/.ci/npm-binary.sh"
skip() { echo "=== musl: SKIPPED: $*" >&2; exit 2; }
[[ $(uname -m) == x86_64 ]] || skip "only written for x86-64"

gcc_major=$(g++ -dumpversion | cut -d. -f1)
pic=/usr/lib/gcc/x86_64-linux-gnu/$gcc_major/libstdc++_pic.a
if ! command -v musl-gcc >/dev/null || [[ ! -f $pic ]]; then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  { "${sudo[@]}" apt-get update -q && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
    musl musl-tools musl-dev "libstdc++-$gcc_major-pic"; } >/dev/null || skip "apt could not install musl-tools and libstdc++-$gcc_major-pic"
fi

v=$(resolve @oven/bun-linux-x64-musl "${TAPEGRAD_SMOKE_BUN:-latest}")
[[ -n $v ]] && bun_dir=$(fetch @oven/bun-linux-x64-musl "$v") || skip "could not fetch @oven/bun-linux-x64-musl"
bun=$bun_dir/bin/bun
chmod +x "$bun"

libdir=$cache/musl-libstdc++-gcc$gcc_major
if [[ ! -f $libdir/libstdc++.so.6 ]]; then
  mkdir -p "$libdir.tmp"
  # The symbols that Debian's (glibc-configured) libstdc++ takes from glibc and musl lacks.
  cat >"$libdir.tmp/glibc-only.c" <<'EOF'
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
char __libc_single_threaded = 0;
int __cxa_atexit(void (*)(void *), void *, void *);
int __cxa_thread_atexit_impl(void (*f)(void *), void *obj, void *dso) { return __cxa_atexit(f, obj, dso); }
size_t __strftime_l(char *s, size_t n, const char *f, const struct tm *t, locale_t l) { return strftime_l(s, n, f, t, l); }
int _dl_find_object(void *pc, void *result) { return -1; }
uint32_t arc4random(void) { uint32_t v = 0; getrandom(&v, sizeof v, 0); return v; }
void _ZNSi6ignoreEl(void) { abort(); }
void _ZNSt13basic_istreamIwSt11char_traitsIwEE6ignoreEl(void) { abort(); }
EOF
  musl-gcc -fPIC -c "$libdir.tmp/glibc-only.c" -o "$libdir.tmp/glibc-only.o"
  musl-gcc -shared -o "$libdir.tmp/libstdc++.so.6" -Wl,-soname,libstdc++.so.6 \
    -Wl,--whole-archive "$pic" -Wl,--no-whole-archive "$libdir.tmp/glibc-only.o" -lgcc_eh -lgcc
  rm -rf "$libdir" && mv "$libdir.tmp" "$libdir"
fi
musl_bun() { (cd "$app" && env -u LIBC LD_LIBRARY_PATH="$libdir" "$bun" "$@"); }
musl_bun --version >/dev/null || skip "Bun's musl build does not start on this machine's musl"

failures=0
check() {
  local label=$1 rc=0
  shift
  musl_bun "$@" >/dev/null 2>"$cache/musl-err.txt" || rc=$?
  echo "- $label: exit $rc"
  sed -n '/tapegrad: no native addon/,/^ *at /p' "$cache/musl-err.txt" | grep -v '^ *at ' | sed 's/^/    /'
  ((rc == 1)) || { echo "musl: FAIL: $label: exit $rc, expected 1" >&2; failures=$((failures + 1)); }
  for n in "no native addon for linux-x64 (musl), Bun $v" "the linux-x64 prebuild is for glibc" \
    'npm install-scripts approve tapegrad && npm rebuild tapegrad' 'apk add build-base python3'; do
    grep -Fq -- "$n" "$cache/musl-err.txt" || { echo "musl: FAIL: $label: the message lacks: $n" >&2; failures=$((failures + 1)); }
  done
}
echo "=== musl: Bun $v (musl), process C library: $(musl_bun -e 'console.log(require("fs").readFileSync("/proc/self/maps", "utf8").match(/\S*-linux-musl\/libc\.so|\S*ld-musl-\S*/)?.[0] ?? "?")')"
check "require('tapegrad')" -e 'require("tapegrad")'
check "import 'tapegrad'" -e 'await import("tapegrad")'
((failures == 0))
