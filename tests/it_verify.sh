#!/bin/bash
# Integration tests of `nnhull verify`: command-line behaviour (help, usage and
# input errors, verdict as the last line, --cex, --out) on the tiny test
# network, then soundness on the shared data when present: the 5 VNN-COMP 2021
# test instances, a time-bounded subset of ACAS Xu (violated ones included),
# Marabou's coav networks and the violated ERAN sigmoid instance. Never `unsat`
# on a violated truth, never `sat` on a holding one, and every `sat` must
# reproduce: its --cex file is re-checked by scripts/cex-check.py (a numpy
# forward pass independent of nnhull, `nnhull eval` without numpy/onnx, and the
# VNNLIB evaluator of tests/vnnlib_check.py).
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
DATA=${NNH_SHARED_DATA_DIR:-$SRC/../shared/data}
PY=python3
/usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null && PY=/usr/bin/python3
CHECK="$PY $SRC/scripts/cex-check.py"

# expect_rc CODE CMD...: run, compare the exit status
expect_rc() {
    local want=$1; shift
    set +e
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    set -e
    [ "$rc" = "$want" ] || fail "exit $rc (want $want): $* :: $(head -c 300 "$T/err")"
}

# check_sat NET PROP CEX [load options]: the counterexample reproduces
check_sat() {
    $CHECK "$1" "$2" "$3" --nnhull "$N" ${4:-} >"$T/chk" ||
        fail "counterexample does not reproduce: $1 $2: $(cat "$T/chk")"
}

# run_case NET PROP TRUTH TIMEOUT [load options]: verdict vs truth; prints it
run_case() {
    local net=$1 prop=$2 truth=$3 to=$4 extra=${5:-}
    rm -f "$T/cex"
    set +e
    "$N" verify "$net" "$prop" --timeout "$to" --cex "$T/cex" $extra >"$T/out" 2>"$T/err"
    local rc=$?
    set -e
    local v
    v=$(tail -n 1 "$T/out")
    echo "  $(basename "$net") $(basename "$prop"): $v (truth $truth)"
    [ $rc = 0 ] || { fail "exit $rc on $net $prop: $(head -c 300 "$T/err")"; return; }
    case "$v" in sat | unsat | unknown | timeout) ;; *) fail "last line '$v' is not a verdict" ;; esac
    if [ "$v" = unsat ] && [ "$truth" = violated ]; then fail "WRONG: unsat on violated $net $prop"; fi
    if [ "$v" = sat ] && [ "$truth" = holds ]; then fail "WRONG: sat on holding $net $prop"; fi
    if [ "$v" = sat ]; then
        [ -s "$T/cex" ] || fail "sat without --cex file"
        local load=""
        case "$extra" in --nnet*) load=$extra ;; esac
        check_sat "$net" "$prop" "$T/cex" "$load"
    fi
    LAST=$v
}

echo "== command line (tests/data/tiny_mlp.onnx: 3 inputs, sigmoid/tanh, 2 outputs)"
NET=$SRC/tests/data/tiny_mlp.onnx
decl='(declare-const X_0 Real)(declare-const X_1 Real)(declare-const X_2 Real)
(declare-const Y_0 Real)(declare-const Y_1 Real)
(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))
(assert (>= X_2 -1))(assert (<= X_2 1))'
y0=$("$N" eval "$NET" 0,0,0 | cut -d, -f1)
# y0 can never exceed the sum of |weights| bound: 1000 is unreachable
printf '%s\n(assert (>= Y_0 1000))\n' "$decl" >"$T/unsat.vnnlib"
printf '%s\n(assert (>= Y_0 %s))\n' "$decl" "$y0" >"$T/sat.vnnlib"
printf '%s\n(assert (or (>= Y_0 1000) (and (<= Y_1 1000) (>= Y_0 %s))))\n' "$decl" "$y0" >"$T/or.vnnlib"
expect_rc 0 "$N" verify --help
grep -q "timeout" "$T/out" || fail "--help does not mention the verdicts"
expect_rc 2 "$N" verify
expect_rc 2 "$N" verify "$NET"
expect_rc 2 "$N" verify "$NET" "$T/sat.vnnlib" --bogus
expect_rc 2 "$N" verify "$NET" "$T/sat.vnnlib" --method simplex
expect_rc 2 "$N" verify "$NET" "$T/sat.vnnlib" --timeout -3
expect_rc 1 "$N" verify "$T/nonexistent.onnx" "$T/sat.vnnlib"
expect_rc 1 "$N" verify "$NET" "$T/nonexistent.vnnlib"
printf '(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= Y_0 0))\n' >"$T/shape.vnnlib"
expect_rc 1 "$N" verify "$NET" "$T/shape.vnnlib"
grep -q "inputs" "$T/err" || fail "shape mismatch message: $(cat "$T/err")"
run_case "$NET" "$T/unsat.vnnlib" holds 30
[ "$LAST" = unsat ] || fail "tiny unsat property answered $LAST"
[ ! -e "$T/cex" ] || fail "--cex written without a counterexample"
run_case "$NET" "$T/sat.vnnlib" violated 30
[ "$LAST" = sat ] || fail "tiny sat property answered $LAST"
run_case "$NET" "$T/or.vnnlib" violated 30
[ "$LAST" = sat ] || fail "tiny sat property with or answered $LAST"
for m in ibp lp1d hull; do
    run_case "$NET" "$T/unsat.vnnlib" holds 30 "--method $m"
    [ "$LAST" = unsat ] || fail "--method $m: tiny unsat property answered $LAST"
done
expect_rc 0 "$N" verify "$NET" "$T/sat.vnnlib" --quiet
[ "$(wc -l <"$T/out")" = 1 ] || fail "--quiet printed more than the verdict"
expect_rc 0 "$N" verify "$NET" "$T/sat.vnnlib" --out "$T/v.h5" --cex "$T/c2"
h5dump -a /verdict/result "$T/v.h5" 2>/dev/null | has '"sat"' || fail "--out: /verdict result is not sat"
h5ls -r "$T/v.h5" >"$T/h5ls" 2>&1 || fail "--out: h5ls failed"
for obj in /verdict/counterexample_input /verdict/counterexample_output /layers/2/pre_lower \
    /regions/lower; do
    grep -q "^$obj " "$T/h5ls" || fail "--out: $obj missing"
done
# --out over a property with two input boxes: /stats are the sums over both
# boxes, the same as `bounds --spec` of that property with the same method
cat >"$T/two.vnnlib" <<'VNN'
(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const X_2 Real)
(declare-const Y_0 Real)
(declare-const Y_1 Real)
(assert (or (and (>= X_0 -1) (<= X_0 0) (>= X_1 -1) (<= X_1 1) (>= X_2 -1) (<= X_2 1))
            (and (>= X_0 0) (<= X_0 1) (>= X_1 -1) (<= X_1 1) (>= X_2 -1) (<= X_2 1))))
(assert (>= Y_0 100))
VNN
expect_rc 0 "$N" verify "$NET" "$T/two.vnnlib" --method lp1d --out "$T/two_v.h5" --quiet
expect_rc 0 "$N" bounds "$NET" --spec "$T/two.vnnlib" --method lp1d --out "$T/two_b.h5" --quiet
for d in lp_solves fallbacks; do
    a=$(h5dump -d /stats/$d "$T/two_v.h5" 2>/dev/null | grep '(0)')
    b=$(h5dump -d /stats/$d "$T/two_b.h5" 2>/dev/null | grep '(0)')
    [ -n "$a" ] && [ "$a" = "$b" ] || fail "verify --out /stats/$d '$a' differs from bounds --spec '$b'"
done
ls "$T" | has '\.tmp\.\|\.verify\.' && fail "temporary files left behind"

if [ -d "$DATA/vnncomp2021_test" ]; then
    echo "== vnncomp2021_test (5 instances with ground truth)"
    V=$DATA/vnncomp2021_test
    while IFS=, read -r onnx prop _ truth _; do
        [ "$onnx" = onnx ] && continue
        run_case "$V/$onnx" "$V/$prop" "$truth" 20
        case "$LAST" in sat | unsat) ;; *) fail "vnncomp2021_test $onnx not decided in 20 s" ;; esac
    done <"$V/ground_truth.csv"
else
    echo "skip: $DATA/vnncomp2021_test absent"
fi

if [ -d "$DATA/acasxu" ]; then
    echo "== ACAS Xu subset (8 s each)"
    A=$DATA/acasxu
    for inst in 1_1,prop_1 2_3,prop_1 1_1,prop_3 1_2,prop_2 2_1,prop_2 3_4,prop_2 1_7,prop_3 \
        1_9,prop_4 4_5,prop_10 2_9,prop_8; do
        net=ACASXU_run2a_${inst%,*}_batch_2000.onnx
        prop=${inst#*,}.vnnlib
        truth=$(awk -F, -v o="$net" -v p="$prop" '$1 == o && $2 == p { print $4 }' "$A/ground_truth.csv")
        run_case "$A/onnx/$net" "$A/vnnlib/$prop" "$truth" 8
    done
    # the .nnet copy in normalised mode must agree on a violated instance
    run_case "$A/nnet/ACASXU_run2a_1_7_batch_2000.nnet" "$A/vnnlib/prop_3.vnnlib" violated 8 \
        --nnet-normalized
else
    echo "skip: $DATA/acasxu absent"
fi

if [ -d "$DATA/marabou/nnet/coav" ]; then
    echo "== Marabou coav (all 50 nets, 10 s each; property y0 <= 0 over the header box)"
    C=$DATA/marabou/nnet/coav
    for f in $(ls "$C" | grep '\.nnet$'); do
        python3 "$SRC/scripts/vnncomp/marabou-coav-vnnlib" "$C/$f" "$T/coav.vnnlib"
        case "$f" in *_UNSAT.nnet) truth=holds ;; *) truth=violated ;; esac
        run_case "$C/$f" "$T/coav.vnnlib" "$truth" 10
        case "$LAST" in sat | unsat) ;; *) fail "coav $f not decided in 10 s (all 50 take ~4 s)" ;; esac
    done
else
    echo "skip: $DATA/marabou/nnet/coav absent"
fi

if [ -d "$DATA/vnncomp2021_eran" ]; then
    echo "== ERAN sigmoid 6x200, idx 7259 (violated), 15 s"
    E=$DATA/vnncomp2021_eran
    run_case "$E/nets/ffnnSIGMOID__Point_6x200.onnx" \
        "$E/specs/mnist/mnist_spec_idx_7259_eps_0.01200.vnnlib" violated 15
else
    echo "skip: $DATA/vnncomp2021_eran absent"
fi

it_finish it_verify
