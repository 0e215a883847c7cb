#!/usr/bin/env bash
# Installation as a library user sees it: `cmake --install` into a temporary
# prefix puts the libraries, the headers, the nnhull command, nnhull.pc and
# the CMake package there; the README's example (examples/embed.c) builds
# exactly as the README says, `cc embed.c $(pkg-config --cflags --libs nnhull)`,
# and runs (crown bounds contain the box centre's outputs, a cut is found);
# a find_package(nnhull) project builds and runs it too.
set -euo pipefail
: "${NNH_SOURCE_DIR:?NNH_SOURCE_DIR is not set}" "${NNH_BINARY_DIR:?NNH_BINARY_DIR is not set}"
T=$(mktemp -d /tmp/nnh_it_install.XXXXXX)
trap 'rm -rf "$T"' EXIT
P="$T/prefix"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

cmake --install "$NNH_BINARY_DIR" --prefix "$P" >"$T/install.log" 2>&1 || { cat "$T/install.log"; echo "FAIL: cmake --install"; exit 1; }
libdir=$(find "$P" -name nnhull.pc -printf '%h\n' | head -1)
[[ -n "$libdir" ]] && ok "nnhull.pc installed ($libdir)" || { echo "FAIL: no nnhull.pc under $P"; exit 1; }
for f in bin/nnhull include/nnhull/nnhull.h include/nnhull/io.h include/nnhull/dist.h; do
  [[ -f "$P/$f" ]] && ok "$f installed" || fail "$f not installed"
done
for l in libnnhull libnnhull_io libnnhull_mpi; do
  ls "$libdir/.."/$l.* >/dev/null 2>&1 && ok "$l installed" || fail "$l not installed"
done
[[ -f "$libdir/../cmake/nnhull/nnhullConfig.cmake" ]] && ok "CMake package installed" || fail "no nnhullConfig.cmake"
# no internal header leaks into the installed tree
leak=$(find "$P/include" -name '*.h' ! -path '*/include/nnhull/*' | head -3)
[[ -z "$leak" ]] && ok "only include/nnhull/ headers" || fail "internal headers installed: $leak"
"$P/bin/nnhull" --version >/dev/null && ok "installed nnhull runs" || fail "installed nnhull --version"

# the README's command, in a directory of its own, with only the install prefix known
mkdir "$T/user"
cp "$NNH_SOURCE_DIR/examples/embed.c" "$T/user/"
net="$NNH_SOURCE_DIR/examples/digits_sigmoid_64x10x10x10x10x10.onnx"
export PKG_CONFIG_PATH="$libdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
(cd "$T/user" && cc embed.c $(pkg-config --cflags --libs nnhull) -o embed) >"$T/cc.log" 2>&1 \
  && ok "embed.c builds with pkg-config" || { cat "$T/cc.log"; fail "embed.c does not build with pkg-config"; }
if [[ -x "$T/user/embed" ]]; then
  if (cd "$T/user" && LD_LIBRARY_PATH="$libdir/..${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ./embed "$net") >"$T/run.log" 2>&1; then
    grep -q '^output 9: ' "$T/run.log" && grep -q '^cut of layer 1, neuron 0: y <= ' "$T/run.log" \
      && grep -q ': ok$' "$T/run.log" && ok "embed runs: $(tail -1 "$T/run.log")" \
      || { cat "$T/run.log"; fail "embed output unexpected"; }
  else
    cat "$T/run.log"; fail "embed exits non-zero"
  fi
fi

# the CMake package
mkdir -p "$T/cm"
cat >"$T/cm/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.18)
project(embed_user C)
find_package(nnhull 0.1 REQUIRED)
add_executable(embed embed.c)
target_link_libraries(embed PRIVATE nnhull::nnhull)
CM
cp "$NNH_SOURCE_DIR/examples/embed.c" "$T/cm/"
if cmake -S "$T/cm" -B "$T/cm/build" -DCMAKE_PREFIX_PATH="$P" >"$T/cm.log" 2>&1 \
   && cmake --build "$T/cm/build" >>"$T/cm.log" 2>&1; then
  LD_LIBRARY_PATH="$libdir/..${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$T/cm/build/embed" "$net" >"$T/cmrun.log" 2>&1 \
    && grep -q ': ok$' "$T/cmrun.log" && ok "find_package(nnhull) project builds and runs" \
    || { cat "$T/cmrun.log"; fail "find_package(nnhull) example run"; }
else
  tail -30 "$T/cm.log"; fail "find_package(nnhull) project does not build"
fi

echo "it_install: $fails failure(s)"
[[ $fails -eq 0 ]]
