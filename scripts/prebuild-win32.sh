#!/usr/bin/env bash
# The win32-x64 prebuilt binary, cross-compiled on Linux with MinGW-w64 (Debian's
# g++-mingw-w64-x86-64-posix): cmake-js with cmake/x86_64-w64-mingw32.cmake, the same source list
# and per-ISA units as binding.gyp (CMakeLists.txt, whose list is tested to match), linked against a
# Node-API import library that dlltool makes from node-api-headers' node_api.def. Output:
# prebuilds/win32-x64/tapegrad.node, where node-gyp-build looks on Windows x64; it imports only
# node.exe, KERNEL32.dll and msvcrt.dll (libgcc, libstdc++ and winpthreads are linked in).
#
# Usage: bash scripts/prebuild-win32.sh [--install]
#   --install: apt-get install the cross compiler if it is missing (needs root or sudo).
# Exits 3 if the cross compiler is missing (and could not be installed), non-zero on other failures.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$PWD
out=$repo/build-win32
cxx=x86_64-w64-mingw32-g++-posix

if ! command -v "$cxx" >/dev/null; then
  if [[ ${1:-} == --install ]]; then
    sudo=()
    ((EUID == 0)) || sudo=(sudo)
    { "${sudo[@]}" apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends g++-mingw-w64-x86-64-posix; } ||
      { echo "prebuild-win32: could not install g++-mingw-w64-x86-64-posix with apt" >&2; exit 3; }
  else
    echo "prebuild-win32: $cxx not found (Debian: apt-get install g++-mingw-w64-x86-64-posix)" >&2
    exit 3
  fi
fi
"$cxx" --version | head -n1

mkdir -p "$out"
def=$(node -p 'require("path").join(path.dirname(require.resolve("node-api-headers/package.json")), "def", "node_api.def")')
x86_64-w64-mingw32-dlltool -d "$def" -l "$out/libnode.a" -D node.exe

npx --no cmake-js compile --out build-win32 --CDCMAKE_TOOLCHAIN_FILE="$repo/cmake/x86_64-w64-mingw32.cmake" \
  --CDTAPEGRAD_NODE_IMPORT_LIB="$out/libnode.a"
built=$out/Release/tapegrad.node

# A PE32+ x86-64 DLL that needs nothing a Windows machine lacks.
x86_64-w64-mingw32-objdump -f "$built" | grep -q 'file format pei-x86-64' ||
  { echo "prebuild-win32: $built is not a PE32+ x86-64 file" >&2; exit 1; }
dlls=$(x86_64-w64-mingw32-objdump -p "$built" | sed -n 's/^\s*DLL Name: //p' | sort | tr '\n' ' ')
[[ $dlls == "KERNEL32.dll msvcrt.dll node.exe " ]] ||
  { echo "prebuild-win32: $built imports $dlls (expected node.exe KERNEL32.dll msvcrt.dll)" >&2; exit 1; }

mkdir -p "$repo/prebuilds/win32-x64"
cp "$built" "$repo/prebuilds/win32-x64/tapegrad.node"
echo "prebuilt: prebuilds/win32-x64/tapegrad.node ($(stat -c %s "$built") bytes; imports $dlls)"
