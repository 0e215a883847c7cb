#!/bin/bash
# Integration test of `nnhull verify --alpha` (alpha-CROWN slopes): the option
# is in --help and rejects unknown modes; on the digits ReLU MLP a robustness
# property that needs neuron splits is proved with --alpha off and on (on
# needing no more regions with the same branching rule), with the same verdict and the same number of
# regions at 1 and 2 MPI ranks, and a larger radius gives a counterexample
# that reproduces.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"

# robust CSV ROW EPS, expect_verdict, verdict, regions, E, PY (tests/common/it_robust.sh)
. "$SRC/tests/common/it_robust.sh"

"$N" verify --help >"$T/help" 2>&1 || fail "verify --help exited $?"
grep -q -- '--alpha A' "$T/help" || fail "--alpha missing from --help"
grep -q -- '--alpha-iters N' "$T/help" || fail "--alpha-iters missing from --help"
NET=$E/digits_relu_64x10x10x10x10x10.onnx
robust "$E/digits_test_inputs.csv" 1 0.05 >"$T/p.vnnlib"
robust "$E/digits_test_inputs.csv" 1 0.06 >"$T/s.vnnlib"
set +e
"$N" verify "$NET" "$T/p.vnnlib" --alpha maybe >"$T/o" 2>&1
rc=$?
set -e
[ $rc = 2 ] && grep -q "alpha" "$T/o" || fail "--alpha maybe: exit $rc, $(cat "$T/o")"

# the region counts of off and on are compared with the branching fixed to the score alone
# (--branch-candidates 1): filtered smart branching picks neurons from the bounds alpha
# changes, so with it the trees differ by more than the bounds (off took 31 regions, on 33)
echo "== digits ReLU MLP, image 1, eps 0.05: alpha off and on"
"$N" verify "$NET" "$T/p.vnnlib" --tighten none --alpha off --branch-candidates 1 --timeout 120 >"$T/off"
"$N" verify "$NET" "$T/p.vnnlib" --tighten none --alpha on --branch-candidates 1 --timeout 120 >"$T/on1"
"$N" verify "$NET" "$T/p.vnnlib" --tighten none --alpha on --timeout 120 >"$T/on"
echo "  off: $(verdict "$T/off"), $(regions "$T/off") regions; on: $(verdict "$T/on1"), $(regions "$T/on1") regions;" \
    "on with the default branching: $(verdict "$T/on"), $(regions "$T/on") regions"
[ "$(verdict "$T/off")" = unsat ] || fail "alpha off: $(cat "$T/off")"
[ "$(verdict "$T/on1")" = unsat ] || fail "alpha on: $(cat "$T/on1")"
[ "$(verdict "$T/on")" = unsat ] || fail "alpha on, default branching: $(cat "$T/on")"
[ "$(regions "$T/off")" -gt 1 ] || fail "the property should need branch and bound"
[ "$(regions "$T/on1")" -le "$(regions "$T/off")" ] || fail "alpha on needed more regions"

echo "== eps 0.06 with alpha on: a counterexample that reproduces"
"$N" verify "$NET" "$T/s.vnnlib" --alpha on --timeout 120 --cex "$T/cex" >"$T/sat"
[ "$(verdict "$T/sat")" = sat ] || fail "eps 0.06: $(cat "$T/sat")"
[ -s "$T/cex" ] && $PY "$SRC/scripts/cex-check.py" "$NET" "$T/s.vnnlib" "$T/cex" --nnhull "$N" \
    >"$T/chk" 2>&1 || fail "counterexample does not reproduce: $(cat "$T/chk")"

if command -v mpirun >/dev/null; then
    echo "== alpha on with 2 ranks: same verdict and regions as with 1"
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    timeout 180 mpirun -np 2 --oversubscribe "$N" verify "$NET" "$T/p.vnnlib" --tighten none \
        --alpha on --timeout 120 >"$T/on2" 2>&1 || fail "mpirun exited $?: $(tail -n 3 "$T/on2")"
    echo "  np 2: $(verdict "$T/on2"), $(regions "$T/on2") regions"
    [ "$(verdict "$T/on2")" = unsat ] || fail "np 2: $(cat "$T/on2")"
    [ "$(regions "$T/on2")" = "$(regions "$T/on")" ] ||
        fail "np 2 decided $(regions "$T/on2") regions, np 1 $(regions "$T/on")"
else
    echo "mpirun not found: the 2-rank case skipped"
fi

it_finish it_verify_alpha
