#!/bin/bash
# Integration test of scripts/bench-verify and scripts/cex-check.py: the
# benchmark runs the 5 VNN-COMP 2021 test instances with no wrong answer and
# re-checks the one sat, and the independent counterexample check accepts
# nnhull's counterexample but rejects a tampered one (wrong Y, input outside
# the box) and a property the point does not meet.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
DATA=${NNH_SHARED_DATA_DIR:-$SRC/../shared/data}
V=$DATA/vnncomp2021_test
[ -f "$V/test_instances.csv" ] || { echo "skip: $V absent"; exit 77; }
PY=python3
/usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null && PY=/usr/bin/python3
CHK="$PY $SRC/scripts/cex-check.py"

NNHULL=$N "$SRC/scripts/bench-verify" vnncomp-test 20 --csv "$T/rows.csv" >"$T/bench" 2>&1 ||
    fail "bench-verify vnncomp-test exited non-zero: $(tail -5 "$T/bench")"
cat "$T/bench"
grep -q "^wrong answers: 0$" "$T/bench" || fail "no 'wrong answers: 0' line"
[ "$(wc -l <"$T/rows.csv")" = 5 ] || fail "--csv has $(wc -l <"$T/rows.csv") rows, want 5"
grep -q "^vnncomp-test,test_sat,test_prop,violated,sat,ok," "$T/rows.csv" ||
    fail "test_sat not answered sat with a reproducing counterexample"
"$SRC/scripts/bench-verify" --help | has "coav" || fail "--help does not list the sets"
set +e
"$SRC/scripts/bench-verify" nosuchset >/dev/null 2>&1
[ $? = 2 ] || fail "an unknown SET is not a usage error"
set -e

echo "== cex-check.py on test_sat / test_prop"
"$N" verify "$V/test_sat.onnx" "$V/test_prop.vnnlib" --quiet --cex "$T/cex" >/dev/null
$CHK "$V/test_sat.onnx" "$V/test_prop.vnnlib" "$T/cex" --nnhull "$N" || fail "nnhull's counterexample rejected"
# a wrong Y_0
awk '/^\(Y_0 /{ print "(Y_0 1.5)"; next } 1' "$T/cex" >"$T/badY"
$CHK "$V/test_sat.onnx" "$V/test_prop.vnnlib" "$T/badY" --nnhull "$N" >"$T/out" && fail "wrong Y_0 accepted"
grep -q "^Y_0: cex file 1.5" "$T/out" || fail "wrong Y_0: $(cat "$T/out")"
# X_0 outside the box, Y made consistent with it: the box assert must fail
awk '/^\(X_0 /{ print "(X_0 0.9)"; next } /^\(Y_/{ exit } 1' "$T/cex" >"$T/badX"
x=$(grep -o '(X_[0-9]* [^)]*)' "$T/badX" | awk '{ sub(/\)$/, "", $2); printf "%s%s", (NR > 1 ? "," : ""), $2 }')
"$N" eval "$V/test_sat.onnx" "$x" | tr ',' '\n' | awk '{ printf "(Y_%d %s)\n", NR - 1, $1 } END { print ")" }' >>"$T/badX"
$CHK "$V/test_sat.onnx" "$V/test_prop.vnnlib" "$T/badX" --nnhull "$N" >"$T/out" && fail "input outside the box accepted"
grep -q "assert not met" "$T/out" || fail "outside the box: $(cat "$T/out")"
# the same point against a property it does not meet (test_unsat holds)
$CHK "$V/test_unsat.onnx" "$V/test_prop.vnnlib" "$T/cex" --nnhull "$N" >"$T/out" && fail "cex of another net accepted"

it_finish it_bench_verify
