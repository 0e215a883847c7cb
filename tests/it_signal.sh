#!/bin/bash
# SIGTERM to mpirun while both ranks are inside long LP tasks (issue 13 item
# 4): mpirun forwards it to the ranks about 1 s later and SIGKILLs them 1 s
# after that, so what is not written within that second is lost. On the
# bundled CNN (examples/cnn_digits_sigmoid_conv.onnx, whole input box) with
# 20 rounds of 200 cuts and no cut tolerance one hull task takes seconds.
#   bounds -np 2: exit 1, one message naming the checkpoint, which holds
#     only the finished units (layer 0 of 3: a task cut short is never
#     stored), the final file absent, no rank left; --resume reads it back;
#   verify --tighten hull -np 2: exit 1, the verdict line 'unknown' (never
#     unsat), the statistics, one message, the --out file, no counterexample;
#   SIGUSR1 (what mpirun forwards without killing; scripts/slurm-*.sbatch
#     send it before the time limit): the same checkpoint, and the ranks end
#     cleanly (no Open MPI notice about a rank that did not finalise).
# Durations are only bounded generously (the kept files are the test).
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
it_need_mpirun
cd "$T"

NET=$SRC/examples/cnn_digits_sigmoid_conv.onnx
CENTER=$(awk -F, 'NR == 2 { sub(/^[^,]*,/, ""); print; exit }' "$SRC/examples/digits_test_inputs.csv")
HEAVY='{"max_rounds": 20, "max_cuts_per_round": 200, "cut_tol": 0}'
BOUNDS=(bounds "$NET" --method hull --center "$CENTER" --eps 0.5 --clip 0,1
        --engine-opts "$HEAVY" --checkpoint-every 0)

# wait_for FILE PATTERN SECONDS: until PATTERN shows up in FILE
wait_for() {
    for _ in $(seq $((10 * $3))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
# no process of this test's runs is left (their arguments hold $T)
no_ranks_left() {
    for _ in $(seq 50); do
        pgrep -f "nnhull .*$T" >/dev/null || return 0
        sleep 0.1
    done
    fail "$1: ranks still running: $(pgrep -af "nnhull .*$T" | cut -c1-100)"
}
messages() { grep -c '^nnhull' "$1" || true; }

# stop_bounds SIG NAME: start, signal mpirun inside layer 1's tasks, check
stop_bounds() {
    local sig=$1 name=$2 extra=${3:-}
    mpirun -np 2 "$N" "${BOUNDS[@]}" --out "$T/$name.h5" $extra >"$name.out" 2>"$name.err" &
    local pid=$!
    if [ -z "$extra" ]; then
        wait_for "$name.err" "layer 0 (0..2): done" 60 || fail "$name: layer 0 never finished"
        sleep 2 # inside layer 1: 64 tasks of seconds each on 2 ranks
    else
        sleep 4 # layer 0 comes from the checkpoint
    fi
    local t0=$SECONDS
    kill -"$sig" "$pid" || fail "$name: ended before the signal"
    set +e
    wait "$pid"
    local rc=$?
    set -e
    echo "  $name: SIG$sig, exit $rc after $((SECONDS - t0)) s: $(grep '^nnhull' "$name.err" | cut -c1-150)"
    [ "$rc" -ne 0 ] || fail "$name: exit 0 after SIG$sig"
    [ $((SECONDS - t0)) -le 30 ] || fail "$name: $((SECONDS - t0)) s after SIG$sig"
    [ -e "$name.partial.h5" ] || fail "$name: no checkpoint"
    [ -e "$name.h5" ] && fail "$name: the final file exists"
    [ "$(messages "$name.err")" = 1 ] || fail "$name: not one message: $(cat "$name.err")"
    grep -q "interrupted by signal $(kill -l "$sig")" "$name.err" ||
        fail "$name: no interruption message: $(cat "$name.err")"
    grep -q "holds 1 of 3 (region, layer) units" "$name.err" ||
        fail "$name: the checkpoint should hold layer 0 only: $(cat "$name.err")"
    "$N" report "$name.partial.h5" >"$name.rep" 2>&1 || fail "$name: report: $(cat "$name.rep")"
    grep -q "^status: *partial (1 of 3 layers)" "$name.rep" || fail "$name: $(grep status "$name.rep")"
    no_ranks_left "$name"
}

echo "== bounds -np 2: SIGTERM to mpirun inside layer 1"
stop_bounds TERM term
echo "== bounds -np 2 --resume: reads the checkpoint back, SIGTERM again"
stop_bounds TERM term --resume

echo "== bounds -np 2: SIGUSR1 to mpirun (forwarded, no SIGKILL): clean end"
stop_bounds USR1 usr1
grep -qi "finalize\|exiting improperly" usr1.err && fail "usr1: Open MPI notice: $(cat usr1.err)"

echo "== verify --tighten hull -np 2: SIGTERM to mpirun during the tightening"
{
    echo "; Y_0 >= 10.5 over [0,1]^64: crown's bound is about 11, the falsifier's best about 9.5"
    for i in $(seq 0 63); do echo "(declare-const X_$i Real)"; done
    for j in $(seq 0 9); do echo "(declare-const Y_$j Real)"; done
    for i in $(seq 0 63); do echo "(assert (>= X_$i 0))"; echo "(assert (<= X_$i 1))"; done
    echo "(assert (>= Y_0 10.5))"
} >prop.vnnlib
# the tightening's own budget off (task_iter_limit, min_gain): about 30 s of LP
# on an idle machine, so the signal lands inside it however fast the machine
VHEAVY='{"max_rounds": 20, "max_cuts_per_round": 200, "cut_tol": 0, "task_iter_limit": 0, "min_gain": 0}'
mpirun -np 2 "$N" verify "$NET" prop.vnnlib --tighten hull --tighten-opts "$VHEAVY" \
    --timeout 600 --out "$T/v.h5" --cex "$T/cex.txt" >v.out 2>v.err &
pid=$!
sleep 8 # the root falsification takes about a second, each LP task seconds
t0=$SECONDS
kill -TERM "$pid" || fail "verify: ended before the signal: $(tail -n 3 v.out)"
set +e
wait "$pid"
rc=$?
set -e
echo "  verify: exit $rc after $((SECONDS - t0)) s, last line '$(tail -n 1 v.out)': $(grep '^nnhull' v.err)"
[ "$rc" = 1 ] || fail "verify: exit $rc (want 1)"
[ $((SECONDS - t0)) -le 30 ] || fail "verify: $((SECONDS - t0)) s after SIGTERM"
[ "$(tail -n 1 v.out)" = unknown ] || fail "verify: verdict '$(tail -n 1 v.out)' (want unknown)"
grep -q '^tightening: ' v.out || fail "verify: not stopped during the tightening: $(cat v.out)"
grep -q '^regions: ' v.out || fail "verify: no statistics"
[ "$(messages v.err)" = 1 ] || fail "verify: not one message: $(cat v.err)"
grep -q "interrupted by signal 15" v.err || fail "verify: $(cat v.err)"
[ -e v.h5 ] || fail "verify: no --out file"
[ -e cex.txt ] && fail "verify: a counterexample file"
"$N" report v.h5 >v.rep 2>&1 || fail "verify: report: $(cat v.rep)"
no_ranks_left verify

it_finish it_signal
