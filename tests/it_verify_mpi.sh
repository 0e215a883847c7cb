#!/bin/bash
# MPI integration test of `nnhull verify`: branch-and-bound regions spread
# over 2 and 3 ranks give the serial verdicts (an unsat property that needs
# dozens of regions, a sat one, and with the shared data a counterexample
# that only branch and bound finds, re-checked by the independent
# scripts/cex-check.py), --max-regions and --timeout are honoured, SIGTERM stops with the statistics and
# 'unknown', and a failing or crashing worker ends the job with one message
# instead of a hang; the VNN-COMP wrappers write the competition's result
# files, serially and over MPI. ACAS Xu cases run when the shared data is
# present.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"

DATA=${NNH_SHARED_DATA_DIR:-$SRC/../shared/data}
it_need_mpirun
MPIRUN=(timeout 120 mpirun --oversubscribe)

# verdict FILE: last line; regions FILE: regions decided
verdict() { tail -n 1 "$1"; }
regions() { sed -n 's/^regions: \([0-9]*\) decided.*/\1/p' "$1"; }

# check_sat NET PROP CEX: the counterexample reproduces, checked independently
# of nnhull (scripts/cex-check.py: numpy forward pass + VNNLIB evaluator)
PY=python3
/usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null && PY=/usr/bin/python3
check_sat() {
    $PY "$SRC/scripts/cex-check.py" "$1" "$2" "$3" --nnhull "$N" >"$T/chk" ||
        fail "counterexample does not reproduce: $1 $2: $(cat "$T/chk")"
}

NET=$SRC/tests/data/tiny_mlp.onnx
decl='(declare-const X_0 Real)(declare-const X_1 Real)(declare-const X_2 Real)
(declare-const Y_0 Real)(declare-const Y_1 Real)
(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))
(assert (>= X_2 -1))(assert (<= X_2 1))'
# max y0 over the box is in [2.084778, 2.084839] (bisection with verify):
# 2.0858 is just out of reach, 2.0847 just within
printf '%s\n(assert (>= Y_0 2.0858))\n' "$decl" >"$T/unsat.vnnlib"
printf '%s\n(assert (>= Y_0 2.0847))\n' "$decl" >"$T/sat.vnnlib"

echo "== tiny net: serial, then -np 2 and -np 3"
"$N" verify "$NET" "$T/unsat.vnnlib" --timeout 60 >"$T/s_unsat"
"$N" verify "$NET" "$T/sat.vnnlib" --timeout 60 >"$T/s_sat"
[ "$(verdict "$T/s_unsat")" = unsat ] || fail "serial unsat case: $(verdict "$T/s_unsat")"
[ "$(verdict "$T/s_sat")" = sat ] || fail "serial sat case: $(verdict "$T/s_sat")"
# the unsat case is meaningful only if branch and bound does the work (the
# sat one is found by the root falsification; ACAS Xu 1_3/prop_2 below is a
# counterexample that only branch and bound finds)
[ "$(regions "$T/s_unsat")" -ge 20 ] || fail "unsat case needs only $(regions "$T/s_unsat") regions"
for np in 2 3; do
    "${MPIRUN[@]}" -np $np "$N" verify "$NET" "$T/unsat.vnnlib" --timeout 60 >"$T/u$np"
    echo "  np $np unsat case: $(verdict "$T/u$np"), $(regions "$T/u$np") regions"
    [ "$(verdict "$T/u$np")" = unsat ] || fail "-np $np unsat case: $(verdict "$T/u$np")"
    grep -q "^ranks: $np " "$T/u$np" || fail "-np $np: no 'ranks: $np' line"
    rm -f "$T/cex"
    "${MPIRUN[@]}" -np $np "$N" verify "$NET" "$T/sat.vnnlib" --timeout 60 --cex "$T/cex" >"$T/s$np"
    echo "  np $np sat case: $(verdict "$T/s$np"), $(regions "$T/s$np") regions"
    [ "$(verdict "$T/s$np")" = sat ] || fail "-np $np sat case: $(verdict "$T/s$np")"
    [ -s "$T/cex" ] && check_sat "$NET" "$T/sat.vnnlib" "$T/cex" || fail "-np $np: no --cex file"
done

echo "== --max-regions 10 at -np 3: unknown after at most 10 regions"
"${MPIRUN[@]}" -np 3 "$N" verify "$NET" "$T/unsat.vnnlib" --max-regions 10 >"$T/m"
[ "$(verdict "$T/m")" = unknown ] || fail "--max-regions: $(verdict "$T/m")"
[ "$(regions "$T/m")" -le 10 ] || fail "--max-regions 10 decided $(regions "$T/m")"

echo "== a failing worker: one message, exit 1; a crashing one: the job ends"
set +e
NNHULL_FAULT=task-error "${MPIRUN[@]}" -np 2 "$N" verify "$NET" "$T/unsat.vnnlib" >"$T/f" 2>"$T/fe"
rc=$?
set -e
[ $rc = 1 ] || fail "injected worker error: exit $rc (want 1)"
[ "$(grep -c '^nnhull: ' "$T/fe")" = 1 ] || fail "injected worker error: not one message: $(cat "$T/fe")"
grep -q "injected fault" "$T/fe" || fail "the worker's message did not reach the user"
set +e
NNHULL_FAULT=crash "${MPIRUN[@]}" -np 2 "$N" verify "$NET" "$T/unsat.vnnlib" >/dev/null 2>&1
rc=$?
set -e
[ $rc != 0 ] && [ $rc != 124 ] || fail "crashing worker: exit $rc (0 = unnoticed, 124 = hang)"
set +e
"${MPIRUN[@]}" -np 2 "$N" verify "$T/missing.onnx" "$T/unsat.vnnlib" >/dev/null 2>"$T/be"
rc=$?
set -e
[ $rc = 1 ] || fail "missing network at -np 2: exit $rc"
[ "$(grep -c '^nnhull: ' "$T/be")" = 1 ] || fail "missing network: not one message: $(cat "$T/be")"

echo "== VNN-COMP wrappers (serial and NNHULL_NP=2): result files"
VC=$SRC/scripts/vnncomp
NNHULL=$N "$VC/prepare_instance.sh" v1 test "$NET" "$T/sat.vnnlib" >/dev/null ||
    fail "prepare_instance.sh refused a readable instance"
set +e
NNHULL=$N "$VC/prepare_instance.sh" v1 test "$T/missing.onnx" "$T/sat.vnnlib" >/dev/null 2>&1
rc=$?
set -e
[ $rc != 0 ] || fail "prepare_instance.sh accepted a missing network"
for np in 1 2; do
    NNHULL=$N NNHULL_NP=$np "$VC/run_instance.sh" v1 test "$NET" "$T/sat.vnnlib" "$T/res_sat" 60 \
        >/dev/null
    [ "$(head -n 1 "$T/res_sat")" = sat ] || fail "run_instance np $np sat: $(head -n 1 "$T/res_sat")"
    tail -n +2 "$T/res_sat" >"$T/res_cex"
    check_sat "$NET" "$T/sat.vnnlib" "$T/res_cex"
    NNHULL=$N NNHULL_NP=$np "$VC/run_instance.sh" v1 test "$NET" "$T/unsat.vnnlib" "$T/res_unsat" \
        60 >/dev/null
    [ "$(cat "$T/res_unsat")" = unsat ] || fail "run_instance np $np unsat: $(cat "$T/res_unsat")"
done

if [ -d "$DATA/acasxu" ]; then
    A=$DATA/acasxu
    # 5_3/prop_2 once sent 2 ranks into a 132k-region dive toward a point
    # where the margin only touches 0 (the serial order was lucky)
    for net in 1_3 5_3; do
        echo "== ACAS Xu ${net}/prop_2 (violated; found by branch and bound) at -np 2"
        onnx=$A/onnx/ACASXU_run2a_${net}_batch_2000.onnx
        rm -f "$T/cex"
        "${MPIRUN[@]}" -np 2 "$N" verify "$onnx" "$A/vnnlib/prop_2.vnnlib" --timeout 60 \
            --cex "$T/cex" >"$T/a"
        echo "  $(verdict "$T/a"), $(regions "$T/a") regions"
        [ "$(verdict "$T/a")" = sat ] || fail "${net}/prop_2 at -np 2: $(verdict "$T/a")"
        [ "$(regions "$T/a")" -gt 0 ] || fail "${net}/prop_2 no longer needs branch and bound"
        [ -s "$T/cex" ] && check_sat "$onnx" "$A/vnnlib/prop_2.vnnlib" "$T/cex" ||
            fail "${net}/prop_2: no --cex file"
    done
    echo "== ACAS Xu 4_2/prop_2 at -np 3 with --timeout 3: timeout, and promptly"
    start=$(date +%s)
    "${MPIRUN[@]}" -np 3 "$N" verify "$A/onnx/ACASXU_run2a_4_2_batch_2000.onnx" \
        "$A/vnnlib/prop_2.vnnlib" --timeout 3 >"$T/t"
    took=$(($(date +%s) - start))
    v=$(verdict "$T/t")
    [ "$v" = timeout ] || [ "$v" = unsat ] || fail "4_2/prop_2 (holds) at -np 3: $v"
    [ $took -le 20 ] || fail "--timeout 3 took $took s"
    echo "== SIGTERM on 4_2/prop_2: statistics, 'unknown', one message, exit 1 (serial and -np 2)"
    for launcher in "" "mpirun -np 2 --oversubscribe"; do
        $launcher "$N" verify "$A/onnx/ACASXU_run2a_4_2_batch_2000.onnx" \
            "$A/vnnlib/prop_2.vnnlib" --timeout 100 >"$T/sig" 2>"$T/sige" &
        pid=$!
        sleep 3
        kill -TERM $pid
        set +e
        wait $pid
        rc=$?
        set -e
        [ $rc = 1 ] || fail "SIGTERM (${launcher:-serial}): exit $rc (want 1)"
        [ "$(verdict "$T/sig")" = unknown ] || fail "SIGTERM (${launcher:-serial}): verdict $(verdict "$T/sig")"
        [ "$(regions "$T/sig")" -gt 0 ] || fail "SIGTERM (${launcher:-serial}): no statistics"
        grep -q "interrupted by signal 15" "$T/sige" || fail "SIGTERM (${launcher:-serial}): $(cat "$T/sige")"
    done
else
    echo "skip: $DATA/acasxu absent (ACAS Xu cases)"
fi

it_finish it_verify_mpi
