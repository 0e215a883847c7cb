# it_lib.sh: the scaffolding the integration tests (tests/it_*.sh) share.
# Source it after `set -euo pipefail`. It checks the environment CTest gives
# (NNHULL, NNH_SOURCE_DIR) and sets:
#   N, SRC   the nnhull binary and the source tree
#   T        a fresh temporary directory, removed on exit (a script that
#            installs its own EXIT trap must remove "$T" itself)
#   fails    the failure counter, with fail MSG (count and print) and ok MSG
#   expect WANT CMD...   run CMD, stdout in $T/out, stderr in $T/err; count a
#            failure (and return 1) unless it exits with WANT
#   err_has S / out_has S   the last expect's stderr / stdout holds S
#   CMD | has GREP-ARGS...   CMD's output has a match (reads all of it; see has below)
#   it_mpi   Open MPI as root and oversubscribed (the CI runs as root on 2 cores)
#   it_need_mpirun   it_mpi, or skip the test (exit 77) without mpirun
#   it_finish NAME   print the result and exit 1 on any failure

: "${NNHULL:?NNHULL must point to the nnhull binary}" "${NNH_SOURCE_DIR:?NNH_SOURCE_DIR is not set}"
N=$NNHULL
SRC=$NNH_SOURCE_DIR
T=$(mktemp -d "/tmp/nnh_$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$T"' EXIT
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# has GREP-ARGS...: stdin holds a line grep matches. Unlike `CMD | grep -q`, it reads all of
# stdin before it answers: grep -q exits on the first match, and a CMD still writing then dies
# of SIGPIPE, which pipefail reports as the pipeline failing (seen in CI, 1 run in 200 here).
has() { local in; in=$(cat); grep -q "$@" <<<"$in"; }

expect() {
  local want=$1 rc=0
  shift
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [[ $rc -ne $want ]]; then
    fail "exit $rc (want $want): $* :: $(head -c 300 "$T/err")"
    return 1
  fi
  return 0
}
err_has() { grep -qF -- "$1" "$T/err" || { fail "stderr lacks '$1': $(head -c 300 "$T/err")"; return 1; }; }
out_has() { grep -qF -- "$1" "$T/out" || { fail "stdout lacks '$1'"; return 1; }; }

it_mpi() {
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1
}
it_need_mpirun() {
  command -v mpirun >/dev/null || { echo "mpirun not found: skipped"; exit 77; }
  it_mpi
}

it_finish() {
  if [[ $fails -ne 0 ]]; then
    echo "$1: $fails failure(s)"
    exit 1
  fi
  echo "$1: all passed"
  exit 0
}
