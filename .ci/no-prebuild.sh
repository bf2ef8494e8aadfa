#!/usr/bin/env bash
# What a user on a platform without a prebuild gets (issue 16, npm 11): the load error names the
# platform looked for, the prebuilds the package has and the commands to build from source; and
# those commands, copied out of the message and run, build the addon and make it load.
#
# Usage: bash .ci/no-prebuild.sh APP_DIR NO_COMPILER_PATH
# APP_DIR has the packed tarball installed (left unchanged); NO_COMPILER_PATH is pack-check's PATH
# without a compiler. A platform without a prebuild is simulated two ways: node-gyp-build's own
# overrides (npm_config_arch, LIBC) on the installed package, and a copy of it whose prebuild for
# this machine is deleted, which is then built from source with the commands from the message.
set -euo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app=$(cd "${1:?usage: no-prebuild.sh APP_DIR NO_COMPILER_PATH}" && pwd)
nopath=${2:?usage: no-prebuild.sh APP_DIR NO_COMPILER_PATH}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tapegrad-noprebuild.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
plat=$(node -p 'process.platform + "-" + process.arch')
failures=0
fail() { echo "no-prebuild: FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_error DIR LABEL NEEDLE... (env and command after --): the command must exit with status 1
# (a thrown error, not a crash) and its stderr must contain every NEEDLE.
expect_error() {
  local dir=$1 label=$2 rc=0 needles=()
  shift 2
  while [[ $1 != -- ]]; do needles+=("$1"); shift; done
  shift
  (cd "$dir" && env PATH="$nopath" "$@") >"$tmp/out" 2>"$tmp/err" || rc=$?
  echo "- $label: exit $rc"
  sed -n '/^Error: tapegrad:/,/^    at /p' "$tmp/err" | grep -v '^    at ' | sed 's/^/    /'
  ((rc == 1)) || fail "$label: exit status $rc, expected 1 (a thrown error)"
  for n in "${needles[@]}"; do grep -Fq -- "$n" "$tmp/err" || fail "$label: the message lacks: $n"; done
}

commands='npm install-scripts approve tapegrad && npm rebuild tapegrad'
# The prebuilds as the message lists them: "<platform>-<arch>", with "(musl)" or "(glibc)" on Linux.
shipped=$(cd "$app/node_modules/tapegrad/prebuilds" && for f in */*.node; do
  case $f in linux-*.musl.node) echo "${f%%/*} (musl)" ;; linux-*) echo "${f%%/*} (glibc)" ;; *) echo "${f%%/*}" ;; esac
done | uniq | paste -sd, | sed 's/,/, /g')
load='require("tapegrad").tensor([1]).item()'

expect_error "$app" "CommonJS, simulated linux-riscv64 (npm_config_arch)" \
  "no native addon for linux-riscv64 (glibc)" "Prebuilt binaries in this package: $shipped." \
  "$commands" "C++17 compiler" -- npm_config_arch=riscv64 node -e "$load"
expect_error "$app" "ESM, simulated linux-riscv64" "no native addon for linux-riscv64 (glibc)" "$commands" -- \
  npm_config_arch=riscv64 node --input-type=module -e 'import "tapegrad";'
expect_error "$app" "the CLI, simulated linux-riscv64" "no native addon for linux-riscv64" "$commands" -- \
  npm_config_arch=riscv64 npx --no-install tapegrad demo
if ls "$app/node_modules/tapegrad/prebuilds/$plat/" | grep -q '\.musl\.'; then
  echo "- musl: the package has a $plat musl prebuild; checked by .ci/musl.sh"
else
  expect_error "$app" "simulated musl (LIBC=musl, what node-gyp-build reads)" "no native addon for $plat (musl)" \
    "musl libc system" "the $plat prebuild is for glibc" "$commands" "apk add build-base python3" -- LIBC=musl node -e "$load"
fi

# A copy of the install without this machine's prebuild: the message, then the build from source.
cp -a "$app" "$tmp/app"
rm -rf "$tmp/app/node_modules/tapegrad/prebuilds/$plat"
expect_error "$tmp/app" "$plat prebuild deleted" "no native addon for $plat" "$commands" -- node -e "$load"
run=$(grep -m1 -F "$commands" "$tmp/err" | sed 's/^ *//')
if [[ $run != "$commands" ]]; then
  fail "no command line to copy out of the message"
else
  echo "- running the message's commands (compiler on PATH): $run"
  t0=$EPOCHREALTIME
  (cd "$tmp/app" && JOBS=${JOBS:-max} bash -c "$run") >"$tmp/build.log" 2>&1 || { tail -n 30 "$tmp/build.log" >&2; fail "$run failed"; }
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "  built in %.1fs\n", b - a }'
  cp "$repo"/.ci/smoke/{checks.cjs,smoke.cjs} "$tmp/app/"
  (cd "$tmp/app" && PATH=$nopath node -e '
    const info = require("tapegrad").backendInfo();
    if (info.prebuilt || !info.addon.includes("/node_modules/tapegrad/build/Release/")) {
      console.error("expected the addon built into node_modules/tapegrad/build/Release, got", info); process.exit(1);
    }' && PATH=$nopath node smoke.cjs) || fail "the addon built from source does not load or fails the smoke test"
fi
((failures == 0))
