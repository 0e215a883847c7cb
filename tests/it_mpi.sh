#!/bin/bash
# MPI integration test of `nnhull bounds`: the numbers in the HDF5 file do not
# depend on the number of ranks (plain run = mpirun -np 1 = -np 2 = -np 3; a
# CNN with sparse layers too; also with a layer window and deterministic budgets,
# and with crown's forms of the window input and skip_fraction, with the
# output layer's own window and budget, and with a wider window for the
# highest-scored neurons),
# --split and multi-box specs give one row per region, a run killed by
# SIGTERM or SIGKILL resumes to the same file as an uninterrupted run, and
# bad input or a failing worker stops every rank with one message (no hang).
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"

it_need_mpirun
command -v h5dump >/dev/null || { echo "h5dump not found: skipped"; exit 77; }
cd "$T"

NET=$SRC/examples/digits_sigmoid_64x10x10x10x10x10.onnx
CENTER=$(awk -F, 'NR == 2 { sub(/^[^,]*,/, ""); print; exit }' "$SRC/examples/digits_test_inputs.csv")
REGION=(--center "$CENTER" --eps 0.05 --clip 0,1)
HULL=(--method hull --engine-opts '{"max_rounds": 2}')
MPIRUN=(timeout 120 mpirun --oversubscribe)
fail() { echo "FAIL: $*" >&2; exit 1; }

# the numbers of a bound file as text: regions, every layer, the
# deterministic statistics and the provenance (not times, ranks or dates)
numbers() {
    h5dump -m %.17g -g /regions -g /layers -d /stats/lp_solves -d /stats/simplex_iters \
        -d /stats/cuts_1d -d /stats/cuts_multivariate -d /stats/fallbacks \
        -a /method -a /options -a /status -a /network_sha256 "$1" | tail -n +2
}
same() { cmp -s <(numbers "$1") <(numbers "$2") || { diff <(numbers "$1") <(numbers "$2") | head; fail "$1 and $2 differ"; }; }
rows() { h5dump -H -d /regions/lower "$1" | sed -n 's/.*SIMPLE { ( \([0-9]*\),.*/\1/p'; }

echo "== determinism: plain run, mpirun -np 1, 2, 3 (hull, --split 3)"
"$NNHULL" bounds "$NET" "${HULL[@]}" "${REGION[@]}" --split 3 --out plain.h5 --quiet
for np in 1 2 3; do
    "${MPIRUN[@]}" -np $np "$NNHULL" bounds "$NET" "${HULL[@]}" "${REGION[@]}" --split 3 \
        --out np$np.h5 --quiet
    same plain.h5 np$np.h5
done
[ "$(rows plain.h5)" = 3 ] || fail "--split 3 gave $(rows plain.h5) regions"

echo "== the same with a layer window and deterministic budgets"
WIN=(--method hull --window 2 --engine-opts '{"max_rounds": 2, "task_iter_limit": 200, "min_gain": 1e-4, "long_step": 1}')
"$NNHULL" bounds "$NET" "${WIN[@]}" "${REGION[@]}" --out wplain.h5 --quiet
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds "$NET" "${WIN[@]}" "${REGION[@]}" --out wnp2.h5 --quiet
same wplain.h5 wnp2.h5
h5dump -a /options wplain.h5 | has '"window":2' || fail "the window is not in the options"
cmp -s <(numbers plain.h5) <(numbers wplain.h5) && fail "the window changed nothing"
# crown's forms of the window input and neuron prioritisation: deterministic too
FRM=(--method hull --window 1 --engine-opts '{"max_rounds": 2, "window_forms": 1, "skip_fraction": 0.5}')
"$NNHULL" bounds "$NET" "${FRM[@]}" "${REGION[@]}" --out fplain.h5 --quiet
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds "$NET" "${FRM[@]}" "${REGION[@]}" --out fnp2.h5 --quiet
same fplain.h5 fnp2.h5
h5dump -a /options fplain.h5 | has '"skip_fraction":0.5' || fail "skip_fraction is not in the options"
# the output layer's own window and budget: -np 1 = -np 2
OUT=(--method hull --window 1 --engine-opts '{"max_rounds": 2, "task_iter_limit": 100, "output_window": 5, "output_iter_limit": 3000}')
"${MPIRUN[@]}" -np 1 "$NNHULL" bounds "$NET" "${OUT[@]}" "${REGION[@]}" --out onp1.h5 --quiet
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds "$NET" "${OUT[@]}" "${REGION[@]}" --out onp2.h5 --quiet
same onp1.h5 onp2.h5
h5dump -a /options onp1.h5 > oopts.txt
grep -q '"output_window":5,"output_iter_limit":3000' oopts.txt || fail "output_window is not in the options"
# a wider window for the highest-scored neurons (wide_fraction): -np 1 = -np 2
WIDE=(--method hull --window 1 --engine-opts '{"max_rounds": 2, "task_iter_limit": 200, "wide_fraction": 0.5, "wide_window": 2, "wide_score": 1, "wide_input": 1}')
"${MPIRUN[@]}" -np 1 "$NNHULL" bounds "$NET" "${WIDE[@]}" "${REGION[@]}" --out wdnp1.h5 --quiet
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds "$NET" "${WIDE[@]}" "${REGION[@]}" --out wdnp2.h5 --quiet
same wdnp1.h5 wdnp2.h5
h5dump -a /options wdnp1.h5 | has '"wide_fraction":0.5,"wide_window":2,"wide_score":1,"wide_input":1' ||
    fail "wide_fraction is not in the options"
NOWIDE=(--method hull --window 1 --engine-opts '{"max_rounds": 2, "task_iter_limit": 200}')
"$NNHULL" bounds "$NET" "${NOWIDE[@]}" "${REGION[@]}" --out nowide.h5 --quiet
cmp -s <(h5dump -m %.17g -g /layers wdnp1.h5) <(h5dump -m %.17g -g /layers nowide.h5) &&
    fail "wide_fraction changed nothing"
h5dump -a /mpi_ranks np3.h5 | has '(0): 3' || fail "mpi_ranks of the -np 3 file is not 3"
[ ! -e plain.partial.h5 ] && [ ! -e np2.partial.h5 ] || fail "checkpoint left after success"

echo "== a CNN (sparse conv layers): mpirun -np 2 = plain run (crown, hull)"
CNN=$SRC/examples/cnn_digits_tanh_strided.onnx
"$NNHULL" info "$CNN" | has -E '^ +0 +64 +128 .* sp ' || fail "$CNN: layer 0 is not sparse"
for m in crown hull; do
    CNNRUN=("$CNN" --method $m "${REGION[@]}" --split 2)
    [ $m = hull ] && CNNRUN+=(--engine-opts '{"max_rounds": 2}')
    "$NNHULL" bounds "${CNNRUN[@]}" --out cnn_$m.h5 --quiet
    "${MPIRUN[@]}" -np 2 "$NNHULL" bounds "${CNNRUN[@]}" --out cnn_${m}2.h5 --quiet
    same cnn_$m.h5 cnn_${m}2.h5
done

echo "== a VNNLIB spec with two boxes: one region per box, then --split"
IFS=, read -ra X <<< "$CENTER"
{
    for i in $(seq 0 63); do echo "(declare-const X_$i Real)"; done
    for i in $(seq 0 9); do echo "(declare-const Y_$i Real)"; done
    echo "(assert (or"
    for e in 0.02 0.04; do
        printf '(and'
        for i in $(seq 0 63); do
            awk -v x="${X[$i]}" -v e=$e -v i=$i 'BEGIN { lo = x - e; hi = x + e;
                if (lo < 0) lo = 0; if (hi > 1) hi = 1;
                printf " (>= X_%d %.6f) (<= X_%d %.6f)", i, lo, i, hi }'
        done
        echo ")"
    done
    echo "))"
    echo "(assert (>= Y_1 Y_0))"
} > two.vnnlib
"$NNHULL" bounds "$NET" --method lp1d --spec two.vnnlib --out spec1.h5 --quiet
[ "$(rows spec1.h5)" = 2 ] || fail "two boxes gave $(rows spec1.h5) regions"
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds "$NET" --method lp1d --spec two.vnnlib --split 4 \
    --out spec2.h5 --quiet
[ "$(rows spec2.h5)" = 4 ] || fail "two boxes --split 4 gave $(rows spec2.h5) regions"
"$NNHULL" bounds "$NET" --method lp1d --spec two.vnnlib --split 4 --out spec3.h5 --quiet
same spec2.h5 spec3.h5

echo "== interrupted runs resume to the uninterrupted file"
LONG=("$NET" "${HULL[@]}" "${REGION[@]}" --split 48 --checkpoint-every 0 --quiet)
"$NNHULL" bounds "${LONG[@]}" --out ref.h5
# start a run, wait until it has checkpointed some work, then kill it
start_and_kill() { # out signal
    # mpirun itself (not under timeout), so that the signal goes to it
    mpirun --oversubscribe -np 2 "$NNHULL" bounds "${LONG[@]}" --out "$1" 2> "$1.err" &
    local pid=$! ckpt=${1%.h5}.partial.h5 i
    for i in $(seq 200); do
        [ -e "$ckpt" ] && h5dump -H "$ckpt" 2>/dev/null | has 'GROUP "1"' && break
        sleep 0.1
    done
    local kids
    kids=$(pgrep -P "$pid" || true)
    [ -e "$1" ] && fail "the run ended before the $2 (make it longer)"
    kill -"$2" "$pid" || fail "mpirun is gone before the $2"
    # SIGKILL: a crashed node takes every process with it
    [ "$2" = KILL ] && for k in $kids; do kill -KILL "$k" 2>/dev/null || true; done
    { wait "$pid"; } 2>/dev/null && fail "the $2-killed run exited 0" || true
    [ -e "$1" ] && fail "$1 exists after $2 (should be only ${ckpt})"
    [ -e "$ckpt" ] || fail "no checkpoint $ckpt after $2"
    h5dump -a /status "$ckpt" | has partial || fail "$ckpt is not marked partial"
}
start_and_kill term.h5 TERM
grep -q "^nnhull: interrupted by signal 15: .* units; rerun with --resume" term.h5.err ||
    { cat term.h5.err; fail "no interruption message after SIGTERM"; }
"$NNHULL" bounds "${LONG[@]}" --out term.h5 2> /dev/null &&
    fail "a run without --resume overwrote the checkpoint" || true
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds "${LONG[@]}" --out term.h5 --resume
same ref.h5 term.h5
[ ! -e term.partial.h5 ] || fail "checkpoint left after the resumed run"

start_and_kill kill.h5 KILL
"${MPIRUN[@]}" -np 3 "$NNHULL" bounds "${LONG[@]}" --out kill.h5 --resume
same ref.h5 kill.h5
ls kill.partial.h5* 2>/dev/null && fail "checkpoint or its temporary left after resuming"
# resuming a finished job changes nothing
"$NNHULL" bounds "${LONG[@]}" --out kill.h5 --resume
same ref.h5 kill.h5

echo "== bad input and failing workers: exit 1, one message, no hang"
echo "not a network" > bad.onnx
set +e
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds bad.onnx "${HULL[@]}" "${REGION[@]}" --out bad.h5 \
    > bad.out 2> bad.err
rc=$?
set -e
[ $rc = 1 ] || fail "bad network: exit $rc (124 = hang)"
[ "$(grep -c '^nnhull:' bad.err)" = 1 ] || { cat bad.err; fail "bad network: not one message"; }
for fault in task-error crash; do
    rm -f fault.h5 fault.partial.h5*
    set +e
    "${MPIRUN[@]}" -np 2 -x NNHULL_FAULT=$fault "$NNHULL" bounds "$NET" "${HULL[@]}" \
        "${REGION[@]}" --out fault.h5 > fault.out 2> fault.err
    rc=$?
    set -e
    [ $rc != 0 ] && [ $rc != 124 ] || fail "NNHULL_FAULT=$fault: exit $rc (124 = hang)"
    [ ! -e fault.h5 ] || fail "NNHULL_FAULT=$fault left an output file"
    # a worker's error reaches the master as a message (a crash is mpirun's to report)
    [ $fault = crash ] || { [ "$(grep -c '^nnhull:' fault.err)" = 1 ] &&
        grep -q "^nnhull: rank 1: region 0, layer 1, neuron .*injected fault" fault.err; } ||
        { cat fault.err; fail "NNHULL_FAULT=$fault: not one message naming the task"; }
done
echo "it_mpi: all passed"
