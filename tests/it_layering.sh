#!/usr/bin/env bash
# The layers of nnhull, checked from the sources and the built libraries:
#   src/ (libnnhull: math core)   includes no MPI, HDF5, protobuf-c or cJSON header
#   io/  (libnnhull_io)           includes no MPI header
#   cli/ (the nnhull command)     makes no HDF5 call, includes no HDF5 or cJSON header, and of the
#                                 project's headers only the installed ones and its own
#   include/nnhull/ (installed)   includes only other installed headers and the C library
# no cycle among the project's own quoted includes, and the archives' undefined
# symbols agree: libnnhull needs no MPI/HDF5/protobuf-c/cJSON symbol, libnnhull_io no MPI one.
set -euo pipefail
: "${NNH_SOURCE_DIR:?NNH_SOURCE_DIR is not set}" "${NNH_BINARY_DIR:?NNH_BINARY_DIR is not set}"
cd "$NNH_SOURCE_DIR"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# grep_layer DIR REGEX WHAT: no line of DIR's C files may match REGEX
grep_layer() {
  local hits
  hits=$(grep -rnE --include='*.c' --include='*.h' "$2" "$1" || true)
  if [[ -n "$hits" ]]; then fail "$1 $3:"$'\n'"$hits"; else ok "$1 $3"; fi
}
[[ -d src && -d io && -d cli && -d mpi && -d include/nnhull ]] || { echo "FAIL: source tree not found"; exit 1; }
grep_layer src '#[[:space:]]*include[[:space:]]*[<"](mpi\.h|hdf5[^">]*|H5[^">]*|protobuf-c/[^">]*|cjson/[^">]*|cJSON\.h|onnx/[^">]*)[">]' \
  "includes no MPI, HDF5, protobuf-c or cJSON header"
grep_layer io '#[[:space:]]*include[[:space:]]*[<"]mpi\.h[">]' "includes no MPI header"
grep_layer cli '#[[:space:]]*include[[:space:]]*[<"](hdf5[^">]*|H5[^">]*|cjson/[^">]*|cJSON\.h)[">]' "includes no HDF5 or cJSON header"
grep_layer cli '\bH5[A-Z][A-Za-z0-9_]*[[:space:]]*\(' "makes no HDF5 call"
# the command uses the installed API and its own headers: no internal header of src/, io/, mpi/
bad=$(grep -rhoE --include='*.c' --include='*.h' '#[[:space:]]*include[[:space:]]*"[^"]+"' cli |
      sed -E 's/.*"(.*)"/\1/' | sort -u | while read -r h; do [[ $h == nnhull/* || -f cli/$h ]] || echo "$h"; done)
[[ -z "$bad" ]] && ok "cli includes only nnhull/ and its own headers" || fail "cli includes internal headers: $bad"
grep_layer include/nnhull '#[[:space:]]*include[[:space:]]*"([^n]|n[^n]|nn[^h]|nnh[^u])[^"]*"' \
  "includes only installed headers (\"nnhull/...\")"
grep_layer include/nnhull '#[[:space:]]*include[[:space:]]*<(mpi\.h|hdf5[^>]*|H5[^>]*|glpk\.h|protobuf-c/[^>]*|cjson/[^>]*)>' \
  "includes no third-party header"

# include cycles among the project's quoted includes (resolved by file name)
if cyc=$(python3 - <<'PY'
import os, re, sys
files = {}
for top in ("src", "io", "mpi", "cli", "include"):
    for d, _, fs in os.walk(top):
        for f in fs:
            if f.endswith((".c", ".h")):
                files[os.path.join(d, f)] = None
byname = {}
for p in files:
    key = p[len("include/"):] if p.startswith("include/") else os.path.basename(p)
    byname.setdefault(key, []).append(p)
edges = {}
for p in files:
    inc = re.findall(r'^\s*#\s*include\s*"([^"]+)"', open(p).read(), re.M)
    edges[p] = [q for i in inc for q in byname.get(i, []) if q.endswith(".h")]
state, stack = {}, []
def visit(p):
    state[p] = 1; stack.append(p)
    for q in edges.get(p, []):
        if state.get(q) == 1:
            print(" -> ".join(stack[stack.index(q):] + [q])); sys.exit(1)
        if q not in state:
            visit(q)
    state[p] = 2; stack.pop()
for p in sorted(files):
    if p not in state:
        visit(p)
PY
); then ok "no include cycle"; else fail "include cycle: $cyc"; fi

# the archives: undefined symbols by layer
undef() { nm -u "$1" 2>/dev/null | awk '{print $NF}' | sort -u; }
lib() { local f; for f in "$NNH_BINARY_DIR/$1.a" "$NNH_BINARY_DIR/$1.so"; do [[ -f $f ]] && { echo "$f"; return; }; done; }
core=$(lib libnnhull); io=$(lib libnnhull_io); mpil=$(lib libnnhull_mpi)
if [[ -z "$core" || -z "$io" || -z "$mpil" ]]; then
  fail "libraries not found in $NNH_BINARY_DIR (libnnhull, libnnhull_io, libnnhull_mpi)"
else
  # each list is read whole before grep looks at it: `undef | grep -q` under pipefail failed
  # when grep -q's early exit killed sort with SIGPIPE (the list is over 4 KiB)
  core_u=$(undef "$core"); io_u=$(undef "$io"); mpil_u=$(undef "$mpil")
  bad=$(grep -E '^(MPI_|ompi_|H5|protobuf_c_|cJSON_)' <<<"$core_u" || true)
  [[ -z "$bad" ]] && ok "libnnhull links no MPI/HDF5/protobuf-c/cJSON symbol" || fail "libnnhull needs: $bad"
  grep -q '^glp_' <<<"$core_u" && ok "libnnhull uses GLPK" || fail "libnnhull has no GLPK reference (wrong archive?)"
  bad=$(grep -E '^(MPI_|ompi_)' <<<"$io_u" || true)
  [[ -z "$bad" ]] && ok "libnnhull_io links no MPI symbol" || fail "libnnhull_io needs: $bad"
  bad=$(grep -E '^glp_' <<<"$io_u" || true)
  [[ -z "$bad" ]] && ok "libnnhull_io links no GLPK symbol" || fail "libnnhull_io needs: $bad"
  grep -q '^MPI_' <<<"$mpil_u" && ok "libnnhull_mpi uses MPI" || fail "libnnhull_mpi has no MPI reference"
fi

echo "it_layering: $fails failure(s)"
[[ $fails -eq 0 ]]
