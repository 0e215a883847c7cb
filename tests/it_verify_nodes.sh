#!/bin/bash
# Integration test of the cheap nodes of activation splitting
# (`verify --node-layers rows|changed|all`): digits MLP properties that need
# neuron splits (ReLU and sigmoid) are proved in every mode with 1 and with 2
# MPI ranks alike, a violated radius gives a re-checked sat in every mode,
# the default mode is the "changed" search, and a bad value is a usage error.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"

# robust CSV ROW EPS, expect_verdict, verdict, regions, E, PY (tests/common/it_robust.sh)
. "$SRC/tests/common/it_robust.sh"

"$N" verify --help >"$T/help" 2>&1 || fail "verify --help exited $?"
grep -q -- '--node-layers L' "$T/help" || fail "--node-layers missing from --help"
robust "$E/digits_test_inputs.csv" 1 0.05 >"$T/mid.vnnlib"
robust "$E/digits_test_inputs.csv" 1 0.3 >"$T/large.vnnlib"
set +e
"$N" verify "$E/digits_relu_64x10x10x10x10x10.onnx" "$T/mid.vnnlib" --node-layers some >"$T/o" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q "node-layers" "$T/o" || fail "--node-layers some: exit $rc, $(cat "$T/o")"

MPI=0
if command -v mpirun >/dev/null; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    MPI=1
else
    echo "mpirun not found: the 2-rank cases skipped"
fi
for net in digits_relu_64x10x10x10x10x10 digits_sigmoid_64x32x32x10; do
    for m in rows changed all; do
        A=(verify "$E/$net.onnx" "$T/mid.vnnlib" --tighten none --split activation
           --node-layers "$m" --timeout 120)
        expect_verdict unsat "$T/o1" -- "$N" "${A[@]}"
        s=$(sed -n 's/^neuron splits: \([0-9]*\)/\1/p' "$T/o1")
        [ -n "$s" ] && [ "$s" -gt 3 ] || fail "$net $m: expected neuron splits: $(cat "$T/o1")"
        echo "$net --node-layers $m: $(regions "$T/o1") regions, $s neuron splits (1 rank)"
        if [ $MPI = 1 ]; then
            expect_verdict unsat "$T/o2" -- timeout 240 mpirun -np 2 --oversubscribe "$N" "${A[@]}"
        fi
        expect_verdict sat "$T/o3" -- "$N" verify "$E/$net.onnx" "$T/large.vnnlib" --node-layers "$m" \
            --split activation --timeout 60 --cex "$T/cex"
        [ -s "$T/cex" ] && $PY "$SRC/scripts/cex-check.py" "$E/$net.onnx" "$T/large.vnnlib" \
            "$T/cex" --nnhull "$N" >"$T/chk" 2>&1 ||
            fail "$net $m: counterexample does not reproduce: $(cat "$T/chk")"
        rm -f "$T/cex"
        [ $m = changed ] && cp "$T/o1" "$T/changed"
    done
    # the default is the changed search (same regions with one rank)
    expect_verdict unsat "$T/od" -- "$N" verify "$E/$net.onnx" "$T/mid.vnnlib" --tighten none \
        --split activation --timeout 120
    [ "$(regions "$T/od")" = "$(regions "$T/changed")" ] ||
        fail "$net: default searched $(regions "$T/od") regions, changed $(regions "$T/changed")"
done

it_finish it_verify_nodes
