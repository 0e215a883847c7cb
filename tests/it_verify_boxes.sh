#!/bin/bash
# `nnhull verify` on a property with 2000 input boxes (issue 15, defect 4):
# every box is trivially safe (crown proves each at once), so the verdict must
# be `unsat`, decided well before the timeout, serially and over 2 MPI ranks
# - the root falsification budget is shared by the boxes instead of spent in
# full on each one before any proving. The elapsed time is printed, not
# asserted tightly (speed is the benchmarks' business); a sat variant checks
# that a counterexample inside one of the boxes is still found.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
command -v python3 >/dev/null || { echo "python3 not found: skipped"; exit 77; }
it_mpi

# 5 -> 100 -> 100 -> 5 ReLU, |weights| < 0.25: Y_0 >= 1000 is far out of reach
python3 "$SRC/tests/make_boxes.py" "$T" 2000 100 2 1000

# run NAME LAUNCHER...: verify with a 60 s timeout; unsat expected
run() {
    local name=$1; shift
    local t0 t1 rc=0
    t0=$(date +%s.%N)
    "$@" "$N" verify "$T/net.nnet" "$T/prop.vnnlib" --timeout 60 >"$T/out" 2>"$T/err" || rc=$?
    t1=$(date +%s.%N)
    local v
    v=$(tail -n 1 "$T/out")
    echo "  $name: $v in $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s; $(grep '^regions:' "$T/out" || true)"
    [ $rc = 0 ] || fail "$name: exit $rc: $(head -c 300 "$T/err")"
    [ "$v" = unsat ] || fail "$name: verdict '$v' on 2000 safe boxes (want unsat)"
    grep -q '^regions: 2000 decided, 2000 proved' "$T/out" ||
        fail "$name: not one proved region per box: $(grep '^regions' "$T/out")"
}

echo "== 2000 safe boxes"
run serial
if command -v mpirun >/dev/null; then
    run "mpirun -np 2" timeout 300 mpirun --oversubscribe -np 2
else
    echo "  mpirun not found: the -np 2 run is skipped"
fi

echo "== one reachable output value: sat, re-checked"
y0=$("$N" eval "$T/net.nnet" 0.7002,0.3,0.6,0.1,0.9 | cut -d, -f1)
python3 "$SRC/tests/make_boxes.py" "$T" 2000 100 2 "$y0"
"$N" verify "$T/net.nnet" "$T/prop.vnnlib" --timeout 60 --cex "$T/cex" >"$T/out" 2>"$T/err" ||
    fail "sat variant: exit $?: $(head -c 300 "$T/err")"
v=$(tail -n 1 "$T/out")
echo "  sat variant (Y_0 >= $y0): $v"
[ "$v" = sat ] || fail "sat variant: verdict '$v' (want sat)"
[ -s "$T/cex" ] || fail "sat variant: no --cex file"

it_finish it_verify_boxes
