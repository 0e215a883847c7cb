#!/bin/bash
# A worker rank that dies (issue 15, defect 10): killed with SIGKILL while it
# holds a task, or crashing (abort) on one, during an MPI `bounds` run and an
# MPI `verify` run. The user must get exactly one nnhull message naming the
# rank and what it was doing (bounds: region, layer, neuron; verify: the
# input box and depth of its region) - not "interrupted by signal 15", the
# SIGTERM mpirun sends the master when a rank dies - and, with `mpirun -q`,
# nothing else: no Open MPI help box ("mpirun noticed that process rank 1
# ... exited on signal 9") and no signal dump of the crashed rank (nnhull
# turns Open MPI's crash handler off). Without -q, mpirun's own notices
# remain (it prints them itself; see the report in the test output). A
# killed bounds run then resumes to a complete file.
# The victim is found through a test hook: NNHULL_FAULT=stall makes a worker
# write its pid to $NNHULL_FAULT_FILE.<rank> at its first task and hold it.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
it_need_mpirun
command -v python3 >/dev/null || { echo "python3 not found: skipped"; exit 77; }
cd "$T"

NET=$SRC/examples/digits_sigmoid_64x10x10x10x10x10.onnx
CENTER=$(awk -F, 'NR == 2 { sub(/^[^,]*,/, ""); print; exit }' "$SRC/examples/digits_test_inputs.csv")
BOUNDS=(bounds "$NET" --method lp1d --center "$CENTER" --eps 0.05 --clip 0,1 --split 4 --quiet)
python3 "$SRC/tests/make_boxes.py" "$T" 200 20 2 1000 # 200 safe boxes, 5-20-20-5 ReLU
VERIFY=(verify "$T/net.nnet" "$T/prop.vnnlib" --timeout 100)
DUMP='^-----|mpirun noticed|Primary job|Process received signal|End of error message|^\[[^]]*:[0-9]*\] '

# check NAME FILE PATTERN: exactly one "nnhull:" line, matching PATTERN; with
# mpirun -q nothing else at all
check() {
    local name=$1 err=$2 pat=$3 quiet=$4
    local n
    n=$(grep -c '^nnhull' "$err" || true)
    [ "$n" = 1 ] || { fail "$name: $n nnhull messages (want 1):"; cat "$err"; return; }
    grep -Eq "$pat" "$err" || { fail "$name: the message does not name the rank and its task:"; cat "$err"; }
    grep -q "interrupted by signal" "$err" && fail "$name: 'interrupted by signal' instead of the rank"
    if [ "$quiet" = 1 ]; then
        grep -Ev '^nnhull' "$err" | has . && { fail "$name: other lines with mpirun -q:"; cat "$err"; }
    fi
    grep -Eq "Process received signal" "$err" && fail "$name: Open MPI's signal dump is shown"
    sed 's/^/    /' "$err"
}

# kill_worker NAME QUIET ARGS...: run with the stall hook, SIGKILL rank 1 once
# it holds its first task; stderr in NAME.err
kill_worker() {
    local name=$1 quiet=$2; shift 2
    local q=()
    [ "$quiet" = 1 ] && q=(-q)
    rm -f "$T/pid.1"
    timeout 120 mpirun "${q[@]}" --oversubscribe -np 2 -x NNHULL_FAULT=stall \
        -x NNHULL_FAULT_FILE="$T/pid" "$N" "$@" >"$name.out" 2>"$name.err" &
    local mp=$!
    for _ in $(seq 300); do [ -s "$T/pid.1" ] && break; sleep 0.1; done
    [ -s "$T/pid.1" ] || { fail "$name: the worker never reached a task"; kill $mp 2>/dev/null || true; wait $mp || true; return; }
    kill -KILL "$(cat "$T/pid.1")"
    local rc=0
    wait $mp || rc=$?
    echo "  $name: exit $rc"
    [ $rc != 0 ] && [ $rc != 124 ] || fail "$name: exit $rc (0 = unnoticed, 124 = hang)"
}

BPAT='^nnhull: rank 1 \(pid [0-9]+ on .*\) stopped unexpectedly \(killed or crashed\) while computing region [0-9]+, layer [0-9]+, neuron [0-9]+ \((lower|upper) bound\)'
VPAT='^nnhull: verify: rank 1 \(pid [0-9]+ on .*\) stopped unexpectedly \(killed or crashed\) while deciding a region of input box [0-9]+ at depth [0-9]+'

echo "== bounds: a worker killed with SIGKILL (mpirun -q, then plain mpirun)"
for quiet in 1 0; do
    rm -f b.h5 b.partial.h5*
    kill_worker "bounds_kill_q$quiet" $quiet "${BOUNDS[@]}" --out b.h5
    check "bounds, killed worker (-q $quiet)" "bounds_kill_q$quiet.err" "$BPAT" $quiet
    [ ! -e b.h5 ] || fail "bounds, killed worker: b.h5 exists"
done
timeout 300 mpirun -q --oversubscribe -np 2 "$N" "${BOUNDS[@]}" --out b.h5 --resume >/dev/null 2>resume.err ||
    fail "resuming after the killed worker: $(cat resume.err)"
[ -s b.h5 ] || fail "resuming after the killed worker: no b.h5"

echo "== bounds: a crashing worker (abort)"
rm -f c.h5 c.partial.h5*
rc=0
timeout 120 mpirun -q --oversubscribe -np 2 -x NNHULL_FAULT=crash "$N" "${BOUNDS[@]}" --out c.h5 \
    >crash.out 2>crash.err || rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "bounds, crashing worker: exit $rc"
check "bounds, crashing worker" crash.err "$BPAT" 1

echo "== verify: a worker killed with SIGKILL, and a crashing one"
kill_worker verify_kill 1 "${VERIFY[@]}"
check "verify, killed worker" verify_kill.err "$VPAT" 1
rc=0
timeout 120 mpirun -q --oversubscribe -np 2 -x NNHULL_FAULT=crash "$N" "${VERIFY[@]}" \
    >vcrash.out 2>vcrash.err || rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "verify, crashing worker: exit $rc"
check "verify, crashing worker" vcrash.err "$VPAT" 1

it_finish it_mpi_failure
