# Sourced by .ci/arm64.sh and .ci/win32.sh: pack_install LABEL REPO APP packs REPO with npm pack into
# the fresh folder APP and installs the tarball there without scripts, as a user's project gets it.
# npm pack runs `prepare`, whose dist/index.mjs step loads the host's addon: build/Release, or the
# host's prebuild (pack-check's prebuildify --strip leaves none in build/Release), or TAPEGRAD_ADDON.
pack_install() {
  local label=$1 repo=$2 app=$3 host
  rm -rf "$app"
  mkdir -p "$app"
  host=$(node -p 'process.platform + "-" + process.arch')
  if [[ -z ${TAPEGRAD_ADDON:-} && ! -f $repo/build/Release/tapegrad.node && ! -f $repo/prebuilds/$host/tapegrad.node ]]; then
    echo "$label: npm pack needs the host addon (build/Release or prebuilds/$host, from npm ci, npm run build:native or npm run prebuild; or TAPEGRAD_ADDON)" >&2
    return 1
  fi
  (cd "$app" && npm pack --silent --pack-destination "$app" "$repo" >/dev/null) || return
  (cd "$app" && npm init -y >/dev/null && npm install --no-audit --no-fund --ignore-scripts ./tapegrad-*.tgz)
}
