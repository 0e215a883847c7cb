#!/bin/bash
# Integration test of activation splitting in `nnhull verify` (--split): the
# digits CNN examples (ReLU, sigmoid, tanh; 64 inputs, so auto means
# activation) give unsat at a small L_inf radius and a re-checked sat at a
# large one with --split activation; a digits MLP property that needs
# hundreds of neuron splits is proved with 1 and with 2 MPI ranks alike;
# --split rejects unknown modes and is in --help, and so does --branch-candidates
# (an integer in [1, 32]); a digits ReLU MLP property with several target
# classes open at the root gets a case split (one search per open class) by
# default, with 1 and 2 ranks, and none with --no-case-split, unsat each way;
# with --node-tighten 3 it is unsat with node LPs and fewer regions, at 1
# and 2 ranks, and a negative value is a usage error.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"

# robust CSV ROW EPS, expect_verdict, verdict, regions, E, PY (tests/common/it_robust.sh)
. "$SRC/tests/common/it_robust.sh"

"$N" verify --help >"$T/help" 2>&1 || fail "verify --help exited $?"
grep -q -- '--split S' "$T/help" || fail "--split missing from --help"
robust "$E/digits_test_inputs.csv" 0 0.02 >"$T/small.vnnlib"
robust "$E/digits_test_inputs.csv" 0 0.3 >"$T/large.vnnlib"
set +e
"$N" verify "$E/cnn_digits_relu_conv.onnx" "$T/small.vnnlib" --split neurons >"$T/o" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q "split" "$T/o" || fail "--split neurons: exit $rc, $(cat "$T/o")"
grep -q -- '--branch-candidates K' "$T/help" || fail "--branch-candidates missing from --help"
for bad in 0 33 1.5 x; do
    set +e
    "$N" verify "$E/cnn_digits_relu_conv.onnx" "$T/small.vnnlib" --branch-candidates "$bad" >"$T/o" 2>&1
    rc=$?
    set -e
    [ $rc = 2 ] && grep -q -- "--branch-candidates needs an integer in \[1, 32\]" "$T/o" ||
        fail "--branch-candidates $bad: exit $rc, $(cat "$T/o")"
done

for net in cnn_digits_relu_conv cnn_digits_sigmoid_conv cnn_digits_tanh_strided; do
    expect_verdict unsat "$T/o" -- "$N" verify "$E/$net.onnx" "$T/small.vnnlib" --split activation \
        --timeout 60
    expect_verdict sat "$T/o" -- "$N" verify "$E/$net.onnx" "$T/large.vnnlib" --split activation \
        --timeout 60 --cex "$T/cex"
    [ -s "$T/cex" ] && $PY "$SRC/scripts/cex-check.py" "$E/$net.onnx" "$T/large.vnnlib" \
        "$T/cex" --nnhull "$N" >"$T/chk" 2>&1 ||
        fail "$net: counterexample does not reproduce: $(cat "$T/chk")"
    rm -f "$T/cex"
done

# needs neuron splits (crown alone leaves the root open; --tighten none, since
# the LP-tightened root would prove it at once): same verdict with 1 and 2
# ranks, every open region split on a neuron
NET=$E/digits_sigmoid_64x32x32x10.onnx
robust "$E/digits_test_inputs.csv" 1 0.05 >"$T/mid.vnnlib"
expect_verdict unknown "$T/o" -- "$N" verify "$NET" "$T/mid.vnnlib" --tighten none --split activation --max-regions 1
expect_verdict unsat "$T/o1" -- "$N" verify "$NET" "$T/mid.vnnlib" --tighten none --split activation --timeout 120
s1=$(sed -n 's/^neuron splits: \([0-9]*\)/\1/p' "$T/o1")
[ -n "$s1" ] && [ "$s1" -gt 5 ] || fail "expected neuron splits, got: $(cat "$T/o1")"
if command -v mpirun >/dev/null; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    expect_verdict unsat "$T/o2" -- timeout 180 mpirun -np 2 --oversubscribe "$N" verify "$NET" \
        "$T/mid.vnnlib" --tighten none --split activation --timeout 120
    grep -q "^neuron splits: " "$T/o2" || fail "no neuron splits with 2 ranks: $(cat "$T/o2")"
else
    echo "mpirun not found: the 2-rank case skipped"
fi

# case splits: two or more target classes open at the root of this one
RELU=$E/digits_relu_64x10x10x10x10x10.onnx
robust "$E/digits_test_inputs.csv" 1 0.05 >"$T/cases.vnnlib"
grep -q -- '--no-case-split' "$T/help" || fail "--no-case-split missing from --help"
expect_verdict unsat "$T/c1" -- "$N" verify "$RELU" "$T/cases.vnnlib" --tighten none --split activation --timeout 60
grep -q "^case splits: 1$" "$T/c1" || fail "expected one case split: $(cat "$T/c1")"
expect_verdict unsat "$T/c0" -- "$N" verify "$RELU" "$T/cases.vnnlib" --tighten none --split activation --timeout 60 --no-case-split
if grep -q "^case splits:" "$T/c0"; then fail "case splits with --no-case-split: $(cat "$T/c0")"; fi
if command -v mpirun >/dev/null; then
    expect_verdict unsat "$T/c2" -- timeout 120 mpirun -np 2 --oversubscribe "$N" verify "$RELU" \
        "$T/cases.vnnlib" --tighten none --split activation --timeout 60
    grep -q "^case splits: 1$" "$T/c2" || fail "expected one case split with 2 ranks: $(cat "$T/c2")"
fi

# node tightening: LPs at nodes near a proof, the same verdict, fewer regions
escalations() { sed -n 's/^regions: \([0-9]*\) decided.*LP escalations \([0-9]*\)$/\2/p' "$1"; }
grep -q -- '--node-tighten K' "$T/help" || fail "--node-tighten missing from --help"
expect_verdict unsat "$T/n3" -- "$N" verify "$RELU" "$T/cases.vnnlib" --tighten none --split activation --timeout 60 --node-tighten 3
[ "$(escalations "$T/n3")" -gt 0 ] || fail "no node LP with --node-tighten 3: $(cat "$T/n3")"
[ "$(escalations "$T/c1")" = 0 ] || fail "LPs without --node-tighten: $(cat "$T/c1")"
[ "$(regions "$T/n3")" -lt "$(regions "$T/c1")" ] ||
    fail "node tightening did not save regions: $(regions "$T/n3") vs $(regions "$T/c1")"
if command -v mpirun >/dev/null; then
    expect_verdict unsat "$T/n3m" -- timeout 120 mpirun -np 2 --oversubscribe "$N" verify "$RELU" \
        "$T/cases.vnnlib" --tighten none --split activation --timeout 60 --node-tighten 3
    [ "$(escalations "$T/n3m")" -gt 0 ] || fail "no node LP with 2 ranks: $(cat "$T/n3m")"
fi
if command -v h5dump >/dev/null; then
    "$N" verify "$RELU" "$T/cases.vnnlib" --tighten none --split activation --node-tighten 3 \
        --out "$T/n3.h5" >/dev/null
    h5dump -a /options "$T/n3.h5" | grep -q '"node_tighten":3' ||
        fail "the bound file's options lack node_tighten: $(h5dump -a /options "$T/n3.h5")"
fi
# a node whose LP bounds cross (its splits meet no input) is closed, not an
# error (digits sigmoid image 8, eps 0.05: found that way)
robust "$E/digits_test_inputs.csv" 8 0.05 >"$T/s8.vnnlib"
set +e
"$N" verify "$E/digits_sigmoid_64x10x10x10x10x10.onnx" "$T/s8.vnnlib" --tighten none \
    --split activation --node-tighten 3 --timeout 20 >"$T/s8" 2>&1
rc=$?
set -e
[ $rc = 0 ] || fail "node tightening on the sigmoid MLP: exit $rc: $(tail -3 "$T/s8")"
case "$(verdict "$T/s8")" in unsat | timeout | unknown) ;; *) fail "sigmoid MLP: $(verdict "$T/s8")" ;; esac
set +e
"$N" verify "$RELU" "$T/cases.vnnlib" --node-tighten -1 >/dev/null 2>"$T/err"
rc=$?
set -e
[ $rc = 2 ] && grep -q -- "--node-tighten needs" "$T/err" || fail "--node-tighten -1: exit $rc, $(cat "$T/err")"

it_finish it_verify_split
