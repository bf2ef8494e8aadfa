#!/usr/bin/env bash
# Package check: build the prebuilt addon, pack the tarball, check its file list, install it into an
# empty project on a PATH with no compiler, python or make, check that the prebuilt binary loads
# (CommonJS and ESM), run the smoke test on every Node line, Bun and Deno (.ci/runtimes.sh), check the
# load error on a platform without a prebuild and the build from source it names (.ci/no-prebuild.sh),
# build the linux-x64 musl prebuild and run it in a musl process (.ci/musl.sh), and run the test
# suite against the installed package.
#
# Usage: bash .ci/pack-check.sh [vitest-json-output-file]
# Run from anywhere; it works in the repository root. Leaves prebuilds/ in place (gitignored).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tapegrad-pack.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
json=${1:-$tmp/vitest-pack.json}
rm -f "$json"

fail() { echo "pack-check: FAIL: $*" >&2; exit 1; }
# For checks the later steps do not depend on: report now, keep going, exit 1 at the end.
deferred=()
defer_fail() { echo "pack-check: FAIL (continuing): $*" >&2; deferred+=("$*"); }

step_name='' step_t0=''
step() {
  [[ -n $step_name ]] && step_done
  step_name=$1 step_t0=$EPOCHREALTIME
  echo
  echo "=== pack-check: $step_name"
}
step_done() {
  awk -v a="$step_t0" -v b="$EPOCHREALTIME" -v n="$step_name" \
    'BEGIN { printf "=== pack-check: %s took %.1fs\n", n, b - a }'
  step_name=''
}

plat=$(node -p 'process.platform + "-" + process.arch')

# ---------------------------------------------------------------------------------------------
# Every prebuild this machine can make (npm run prebuild:all: the host's and the cross-compiled
# ones), so that the tarball checked here is the release tarball.
mapfile -t platforms < <(bash scripts/prebuild-all.sh --list)
step "prebuild:all (${platforms[*]})"
rm -rf prebuilds # only this step's output may end up in the tarball
npm run prebuild:all
shopt -s nullglob
built=(prebuilds/"$plat"/*.node)
shopt -u nullglob
((${#built[@]} == 1)) || fail "expected exactly one prebuilds/$plat/*.node, found: ${built[*]:-none}"
echo "prebuilt: ${built[0]} ($(stat -c %s "${built[0]}") bytes)"
if [[ $plat == linux-x64 ]]; then
  step "prebuild (linux-x64 musl, zig c++)"
  musl_rc=0
  bash .ci/musl.sh build || musl_rc=$?
  ((musl_rc != 2)) || echo "pack-check: NO MUSL PREBUILD: its build was SKIPPED (see above)" >&2
  ((musl_rc == 0 || musl_rc == 2)) || defer_fail "the linux-x64 musl prebuild did not build"
fi

# ---------------------------------------------------------------------------------------------
step "npm pack"
mkdir "$tmp/pack"
npm pack --pack-destination "$tmp/pack"
shopt -s nullglob
tgzs=("$tmp"/pack/*.tgz)
shopt -u nullglob
((${#tgzs[@]} == 1)) || fail "expected one tarball in $tmp/pack, found ${#tgzs[@]}"
tgz=${tgzs[0]}
tar -tzf "$tgz" | sort >"$tmp/files.txt"
echo "tarball: $(basename "$tgz"), $(wc -l <"$tmp/files.txt") files, $(stat -c %s "$tgz") bytes"

# ---------------------------------------------------------------------------------------------
step "tarball file list"
problems=0
need() { grep -Fxq "package/$1" "$tmp/files.txt" || { echo "missing from tarball: $1" >&2; problems=1; }; }
need dist/index.js
need dist/index.mjs
need dist/index.d.ts
need native/addon.cc
need binding.gyp
need CMakeLists.txt
need package.json
[[ -f README.md ]] && need README.md
for p in "${platforms[@]}"; do
  grep -Eq "^package/prebuilds/$p/[^/]+\.node$" "$tmp/files.txt" ||
    { echo "missing from tarball: prebuilds/$p/*.node" >&2; problems=1; }
done
# Every file package.json points at (main, types, exports, bin) must be in the tarball.
node -e '
  const pkg = require(process.argv[1]);
  const out = new Set();
  const walk = (v) => typeof v === "string" ? out.add(v) : v && typeof v === "object" && Object.values(v).forEach(walk);
  walk(pkg.main); walk(pkg.types); walk(pkg.exports);
  walk(typeof pkg.bin === "string" ? pkg.bin : pkg.bin);
  for (const f of out) console.log(f.replace(/^\.\//, ""));
' "$repo/package.json" >"$tmp/entry-points.txt"
while read -r f; do
  grep -Fxq "package/$f" "$tmp/files.txt" ||
    { echo "package.json points at $f, which is not in the tarball" >&2; problems=1; }
done <"$tmp/entry-points.txt"
if grep -E '^package/(test|build)/|(^|/)node_modules/|\.tgz$' "$tmp/files.txt" >&2; then
  echo "^ files that must not be in the tarball" >&2
  problems=1
fi
if ((problems == 0)); then
  echo "file list ok"
else
  sed 's/^/  /' "$tmp/files.txt" >&2
  defer_fail "tarball file list"
fi

# ---------------------------------------------------------------------------------------------
step "install tarball without a compiler"
# A bin dir with only what npm needs. Everything else (gcc, g++, cc, c++, make, python3, ...) is
# unreachable, so an install that tried to compile the addon would fail.
mkdir "$tmp/bin"
for t in node npm npx sh bash env cat ls mkdir rm cp mv ln chmod readlink dirname basename uname \
  sed grep head tail tr sort true false id date; do
  p=$(command -v "$t") || fail "cannot find $t"
  ln -s "$p" "$tmp/bin/$t"
done
nopath=$tmp/bin
for t in gcc g++ cc c++ clang clang++ make cmake python3 python; do
  if PATH=$nopath command -v "$t" >/dev/null; then fail "$t is still reachable on the install PATH"; fi
done
mkdir "$tmp/app"
pg_version=$(node -p 'require("./node_modules/pg/package.json").version') || fail "pg is not installed in the repository"
(
  cd "$tmp/app"
  export PATH=$nopath PREBUILDS_ONLY=1
  # Nor may a compiler or python be named through the environment.
  unset CC CXX CPP LINK AR CC_target CXX_target PYTHON NODE_GYP_FORCE_PYTHON npm_config_python
  npm init -y >/dev/null
  # pg is tapegrad's optional peer (tg.tune.postgresStorage): a user who wants PostgreSQL installs it,
  # and the suite's PostgreSQL tests need it; the version is the repository's.
  npm install --no-audit --no-fund --foreground-scripts "$tgz" "pg@$pg_version"
)
pkgdir=$tmp/app/node_modules/tapegrad
[[ -f $pkgdir/package.json ]] || fail "tapegrad is not in $tmp/app/node_modules"
[[ ! -e $pkgdir/build ]] || fail "the install created $pkgdir/build: it compiled something"
ls "$pkgdir/prebuilds/$plat"

# ---------------------------------------------------------------------------------------------
step "load checks (CommonJS, ESM)"
version=$(node -p 'require("./package.json").version')
(
  cd "$tmp/app"
  export PATH=$nopath PREBUILDS_ONLY=1 TAPEGRAD_EXPECT_VERSION=$version

  echo "- CommonJS: backendInfo, prebuilt loaded from prebuilds/, computation"
  node -e '
    const assert = require("node:assert/strict");
    const fs = require("node:fs");
    const path = require("node:path");
    const tg = require("tapegrad");
    const info = tg.backendInfo();
    console.log(JSON.stringify(info));
    const root = fs.realpathSync(path.dirname(require.resolve("tapegrad/package.json")));
    assert.equal(info.prebuilt, true, "backendInfo().prebuilt");
    assert.ok(fs.realpathSync(info.addon).startsWith(path.join(root, "prebuilds") + path.sep),
      `addon ${info.addon} is not under ${root}/prebuilds`);
    assert.equal(info.version, process.env.TAPEGRAD_EXPECT_VERSION, "backendInfo().version");
    assert.equal(tg.tensor([1, 2, 3]).mul(2).sum().item(), 12);
  '

  echo "- ESM: namespace import, default import, same instance as require()"
  node --input-type=module -e '
    import assert from "node:assert/strict";
    import { createRequire } from "node:module";
    import * as tg from "tapegrad";
    import tgDefault from "tapegrad";
    assert.ok(import.meta.resolve("tapegrad").endsWith("/dist/index.mjs"), import.meta.resolve("tapegrad"));
    assert.equal(tg.tensor([1, 2, 3]).mul(2).sum().item(), 12);
    assert.equal(tgDefault.tensor([1, 2, 3]).mul(2).sum().item(), 12);
    assert.equal(tg.backendInfo().prebuilt, true);
    const cjs = createRequire(import.meta.url)("tapegrad");
    assert.equal(tgDefault, cjs, "default export is the CommonJS module");
    const missing = Object.keys(cjs).filter((k) => k !== "__esModule" && !(k in tg));
    assert.deepEqual(missing, [], "CommonJS exports missing from the ESM named exports");
    assert.equal(tg.Tensor, cjs.Tensor);
    console.log(`ok: ${Object.keys(tg).length} ESM exports`);
  '

  echo "- without PREBUILDS_ONLY (what a user gets): still the prebuilt"
  env -u PREBUILDS_ONLY node -e '
    const info = require("tapegrad").backendInfo();
    if (!info.prebuilt) { console.error(info); process.exit(1); }
    console.log("ok:", info.addon);
  '
)

# ---------------------------------------------------------------------------------------------
step "npx tapegrad demo (the installed CLI)"
(
  cd "$tmp/app"
  export PATH=$nopath PREBUILDS_ONLY=1
  npx --no-install tapegrad demo >"$tmp/demo.txt" || { cat "$tmp/demo.txt"; fail "npx tapegrad demo failed"; }
  cat "$tmp/demo.txt"
  node -e '
    const out = require("node:fs").readFileSync(process.argv[1], "utf8");
    const acc = /^test accuracy ([0-9.]+)%/m.exec(out);
    if (!acc || Number(acc[1]) < 95) { console.error(`demo test accuracy ${acc ? acc[1] : "missing"} is below 95%`); process.exit(1); }
    if (!/^checkGradients .*worst relative error/m.test(out)) { console.error("demo printed no gradient check"); process.exit(1); }
  ' "$tmp/demo.txt" || fail "demo output"
  head -c 4 tapegrad-digits-loss.svg | grep -q '<svg' || fail "demo wrote no loss-curve SVG"
)

# ---------------------------------------------------------------------------------------------
step "smoke test on Node 18, 20, 22, 24, the newest Node, Bun and Deno"
bash "$repo/.ci/runtimes.sh" "$tmp/app" || defer_fail "the smoke test failed on a runtime (table above)"

# ---------------------------------------------------------------------------------------------
step "platform without a prebuild: the load error, then the build from source it names"
bash "$repo/.ci/no-prebuild.sh" "$tmp/app" "$nopath" || defer_fail "platform without a prebuild"

# ---------------------------------------------------------------------------------------------
step "musl: the package in a real musl process (Bun's musl build)"
musl_rc=0
bash "$repo/.ci/musl.sh" check "$tmp/app" || musl_rc=$?
((musl_rc != 2)) || echo "pack-check: THE MUSL CHECK WAS SKIPPED (see above)" >&2
((musl_rc == 0 || musl_rc == 2)) || defer_fail "the package in a musl process"

# ---------------------------------------------------------------------------------------------
step "install with --ignore-scripts (pnpm 10, npm allowScripts)"
# Package managers increasingly skip dependencies' install scripts; the prebuilt must load anyway.
mkdir "$tmp/app-noscripts"
(
  cd "$tmp/app-noscripts"
  export PATH=$nopath PREBUILDS_ONLY=1
  npm init -y >/dev/null
  npm install --no-audit --no-fund --ignore-scripts "$tgz"
  node -e '
    const tg = require("tapegrad");
    const info = tg.backendInfo();
    if (!info.prebuilt || tg.tensor([1, 2, 3]).mul(2).sum().item() !== 12) { console.error(info); process.exit(1); }
    console.log("ok:", info.addon);
  '
)

# ---------------------------------------------------------------------------------------------
step "type declarations (TypeScript consumers, module node16)"
# An ESM (.mts) and a CommonJS (.cts) consumer, type-checked against the installed package with
# the repository's TypeScript and @types/node, and without skipLibCheck.
mkdir "$tmp/app/types-check"
cat >"$tmp/app/types-check/esm.mts" <<'TS'
import tg from 'tapegrad';
import * as ns from 'tapegrad';
import { tensor, backendInfo, type Tensor } from 'tapegrad';
const a: number = tg.tensor([1, 2, 3]).mul(2).sum().item();
const b: number = ns.tensor([1, 2, 3]).mul(2).sum().item();
const t: Tensor = tensor([1, 2, 3]);
const prebuilt: boolean = backendInfo().prebuilt;
export { a, b, t, prebuilt };
TS
cat >"$tmp/app/types-check/cjs.cts" <<'TS'
import tg = require('tapegrad');
const a: number = tg.tensor([1, 2, 3]).mul(2).sum().item();
const prebuilt: boolean = tg.backendInfo().prebuilt;
export { a, prebuilt };
TS
cat >"$tmp/app/types-check/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "module": "node16", "moduleResolution": "node16", "target": "es2022", "strict": true,
    "noEmit": true, "skipLibCheck": false,
    "typeRoots": ["$repo/node_modules/@types"], "types": ["node"]
  },
  "files": ["esm.mts", "cjs.cts"]
}
JSON
if (cd "$tmp/app/types-check" && PATH=$nopath "$repo/node_modules/.bin/tsc" -p .); then
  echo "types ok"
else
  sed 's/^/  /' "$tmp/app/types-check/esm.mts" "$tmp/app/types-check/cjs.cts" >&2
  defer_fail "the package's type declarations do not type-check for these consumers"
fi

# ---------------------------------------------------------------------------------------------
isa=sse2
if grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo; then isa=avx2; fi
step "test suite against the installed package ($isa, 2 threads)"
# Record every native addon the test workers load, to prove they used the installed prebuilt
# and not the repository's build/ (which the alias would silently fall back to if it broke).
cat >"$tmp/trace-dlopen.cjs" <<'EOF'
const fs = require('node:fs');
const dlopen = process.dlopen;
process.dlopen = function (module, filename, ...rest) {
  try { fs.appendFileSync(process.env.TAPEGRAD_DLOPEN_LOG, filename + '\n'); } catch {}
  return dlopen.call(this, module, filename, ...rest);
};
EOF
: >"$tmp/dlopen.log"
rc=0
TAPEGRAD_TEST_PACKAGE=$pkgdir TAPEGRAD_TEST_ISAS=$isa TAPEGRAD_TEST_THREADS=2 \
  TAPEGRAD_TEST_JSON=$json PREBUILDS_ONLY=1 TAPEGRAD_DLOPEN_LOG=$tmp/dlopen.log \
  NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--require $tmp/trace-dlopen.cjs" \
  npx --no vitest run || rc=$?

[[ -f $json ]] || fail "vitest wrote no JSON report to $json (exit code $rc)"
node -e '
  const r = require(process.argv[1]);
  console.log(`pack-check tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` +
    ` (${r.numTotalTests} total, ${r.numFailedTestSuites} failed files)`);
' "$json"
if ! grep -Fq "$pkgdir/prebuilds/" "$tmp/dlopen.log"; then
  sort -u "$tmp/dlopen.log" >&2
  fail "the tests never loaded the installed prebuilt addon"
fi
if grep -F -e "$repo/build/" -e "$repo/prebuilds/" "$tmp/dlopen.log" | sort -u >&2; then
  fail "the tests loaded the repository's own addon instead of the installed package"
fi
echo "tests loaded: $(grep -F "$pkgdir/" "$tmp/dlopen.log" | sort -u | sed "s|^$tmp/app/||")"
((rc == 0)) || fail "vitest exited with $rc"
step_done
if ((${#deferred[@]})); then
  printf 'pack-check: FAIL: %s\n' "${deferred[@]}" >&2
  exit 1
fi
echo "pack-check: ok"
