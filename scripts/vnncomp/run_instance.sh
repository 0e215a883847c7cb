#!/bin/bash
# VNN-COMP hook: run_instance.sh VERSION CATEGORY ONNX VNNLIB RESULTS TIMEOUT
# Runs `nnhull verify` with the timeout and writes RESULTS: 'sat' followed by
# the counterexample ((X_i v) and (Y_j v) lines), or 'unsat', 'timeout',
# 'unknown' ('error' when nnhull failed).
# NNHULL_NP=N (N > 1) spreads the regions over N MPI ranks (mpirun -np N;
# e.g. NNHULL_NP=$(nproc) on the competition machine); NNHULL_METHOD picks the
# engine (default crown).
set -euo pipefail
if [ $# -ne 6 ]; then
    echo "usage: $0 v1 CATEGORY ONNX VNNLIB RESULTS TIMEOUT" >&2
    exit 2
fi
VERSION=$1; CATEGORY=$2; ONNX=$3; VNNLIB=$4; RESULTS=$5; TIMEOUT=$6
if [ "$VERSION" != "v1" ]; then
    echo "$0: expected version string v1, got $VERSION" >&2
    exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)
NNHULL=${NNHULL:-$HERE/../../build/nnhull}
METHOD=${NNHULL_METHOD:-crown}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "nnhull run: category $CATEGORY, $ONNX, $VNNLIB, timeout $TIMEOUT s"
# leave a little of the budget for loading and writing; the outer `timeout`
# only catches a run that overshoots
INNER=$(awk -v t="$TIMEOUT" 'BEGIN { x = t - 2; if (x < 0.5 * t) x = 0.5 * t; print x }')
NP=${NNHULL_NP:-1}
LAUNCH=()
if [ "$NP" -gt 1 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    LAUNCH=(mpirun -np "$NP" --oversubscribe)
fi
set +e
timeout --signal=KILL "$(awk -v t="$TIMEOUT" 'BEGIN { print t + 10 }')" \
    "${LAUNCH[@]}" "$NNHULL" verify "$ONNX" "$VNNLIB" --timeout "$INNER" --method "$METHOD" \
    --cex "$TMP/cex" --quiet >"$TMP/out"
rc=$?
set -e
verdict=$(tail -n 1 "$TMP/out" 2>/dev/null || true)
if [ $rc -eq 137 ]; then verdict=timeout
elif [ $rc -ne 0 ]; then verdict=error
fi
case "$verdict" in
sat) { echo sat; cat "$TMP/cex"; } >"$RESULTS.tmp" ;;
unsat | timeout | unknown | error) echo "$verdict" >"$RESULTS.tmp" ;;
*) echo unknown >"$RESULTS.tmp" ;;
esac
mv "$RESULTS.tmp" "$RESULTS"
echo "nnhull result: $(head -n 1 "$RESULTS")"
