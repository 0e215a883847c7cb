#!/bin/bash
# The scheduler of the distributed bounds run: the --trace of a small -np 2
# run covers every LP task of every (region, layer) exactly once with valid
# ranks and times; --sched-chunk-seconds caps the tasks per message once a
# layer's mean task time is known (and, with every layer "long", stopping
# the prefetch does not hang the run); with enough workers (or --master-tasks 0) the workers
# prepare the units (trace lines of ranks > 0) and the file stays the same
# as a one-process run, also after a SIGTERM and --resume; and
# scripts/sim-scheduler reads the real trace.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"

it_need_mpirun
command -v h5dump >/dev/null || { echo "h5dump not found: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not found: skipped"; exit 77; }
cd "$T"
fail() { echo "FAIL: $*" >&2; exit 1; }
MPIRUN=(timeout 600 mpirun --oversubscribe)

NET=$SRC/examples/digits_sigmoid_64x10x10x10x10x10.onnx
CENTER=$(awk -F, 'NR == 2 { sub(/^[^,]*,/, ""); print; exit }' "$SRC/examples/digits_test_inputs.csv")
RUN=("$NET" --method hull --engine-opts '{"max_rounds": 2}' --center "$CENTER" --eps 0.05
     --clip 0,1 --split 3 --quiet)
numbers() {
    h5dump -m %.17g -g /regions -g /layers -d /stats/lp_solves -d /stats/simplex_iters \
        -d /stats/cuts_1d -d /stats/cuts_multivariate -d /stats/fallbacks \
        -a /method -a /options -a /status -a /network_sha256 "$1" | tail -n +2
}
same() { cmp -s <(numbers "$1") <(numbers "$2") || fail "$1 and $2 differ"; }

# check_trace FILE RANKS REGIONS WORKER_PREP(0/1) TASK_RANKS: every task
# once, sane lines, the tasks computed by exactly the ranks TASK_RANKS (a,b,..)
check_trace() {
    python3 - "$1" "$2" "$3" "$4" "$5" "$NNHULL" "$NET" <<'PY'
import csv, subprocess, sys
path, ranks, regions, worker_prep = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
task_ranks = sorted(int(x) for x in sys.argv[5].split(","))
info = subprocess.run([sys.argv[6], "info", sys.argv[7]], capture_output=True, text=True).stdout
# the layer table of `nnhull info`: "  k  in  out  act ..." rows
widths = {}
for line in info.splitlines():
    f = line.split()
    if len(f) >= 3 and f[0].isdigit() and f[1].isdigit() and f[2].isdigit():
        widths[int(f[0])] = int(f[2])
assert widths, "no layer table in nnhull info"
seen = {}
kinds = set()
prep_ranks = set()
for row in csv.DictReader(open(path)):
    kinds.add(row["kind"])
    rank = int(row["rank"])
    assert 0 <= rank < ranks, f"rank {rank} out of range: {row}"
    s, e, d = float(row["start"]), float(row["end"]), float(row["duration"])
    assert d >= 0 and s >= 0 and e >= s - 1e-6 and abs((e - s) - d) < 1e-5, f"bad times: {row}"
    if row["kind"] in ("prepare", "pass"):
        prep_ranks.add(rank)
    if row["kind"] != "task":
        continue
    key = (int(row["region"]), int(row["layer"]), int(row["task"]))
    assert key not in seen, f"task {key} traced twice"
    assert int(row["neuron"]) == key[2] // 2 and int(row["sense"]) == (1 if key[2] % 2 else -1)
    assert int(row["chunk_size"]) >= 1 and int(row["chunk"]) >= 1
    if rank > 0:
        assert int(row["bytes_sent"]) > 0 and int(row["bytes_recv"]) > 0, f"no bytes: {row}"
    seen[key] = rank
want = {(r, k, t) for r in range(regions) for k in widths if k > 0 for t in range(2 * widths[k])}
assert set(seen) == want, f"{len(want - set(seen))} tasks missing, {len(set(seen) - want)} unexpected"
assert {"task", "context", "prepare", "pass"} <= kinds, f"kinds {kinds}"
assert sorted(set(seen.values())) == task_ranks, f"tasks ran on ranks {sorted(set(seen.values()))}"
assert worker_prep == (max(prep_ranks) > 0), f"preparing ranks {prep_ranks}"
print(f"trace ok: {len(seen)} tasks on {ranks} ranks, preparations on ranks {sorted(prep_ranks)}")
PY
}

echo "== $SECONDS s: the trace of a -np 2 run"
"$NNHULL" bounds "${RUN[@]}" --out plain.h5
"${MPIRUN[@]}" -np 2 "$NNHULL" bounds "${RUN[@]}" --out np2.h5 --trace np2.csv
same plain.h5 np2.h5
check_trace np2.csv 2 3 0 0,1 || fail "trace of the -np 2 run"
head -1 np2.csv | has -x 'kind,region,layer,task,neuron,sense,rank,chunk,chunk_size,start,end,duration,bytes_sent,bytes_recv' ||
    fail "trace header: $(head -1 np2.csv)"

echo "== $SECONDS s: workers prepare the units: -np 4 with --master-tasks 0, -np 5 with 3"
"${MPIRUN[@]}" -np 4 "$NNHULL" bounds "${RUN[@]}" --out np4.h5
same plain.h5 np4.h5
"${MPIRUN[@]}" -np 4 "$NNHULL" bounds "${RUN[@]}" --out off4.h5 --master-tasks 0 --trace off4.csv
same plain.h5 off4.h5
# the master computes no task then: tasks on the 3 workers only
check_trace off4.csv 4 3 1 1,2,3 || fail "trace of the -np 4 --master-tasks 0 run"
"${MPIRUN[@]}" -np 5 "$NNHULL" bounds "${RUN[@]}" --out np5.h5 --trace np5.csv \
    --master-tasks 3 --sched-min-tasks 4
same plain.h5 np5.h5
awk -F, '$1 == "prepare" && $7 > 0 { n++ } END { exit n > 0 ? 0 : 1 }' np5.csv ||
    fail "at -np 5 no worker prepared a unit"
"${MPIRUN[@]}" -np 4 "$NNHULL" bounds "${RUN[@]}" --out old4.h5 --sched-min-tasks 0
same plain.h5 old4.h5
"$NNHULL" bounds "${RUN[@]}" --out x.h5 --master-tasks -1 2> err.txt && fail "--master-tasks -1 accepted"
grep -q "master-tasks" err.txt || fail "no message for --master-tasks -1"

echo "== $SECONDS s: --sched-chunk-seconds: a worker's chunks of a layer, after its first two, hold 1 task"
# late_multi FILE: chunks of more than one task that a worker got after its
# first two of the same layer (by then a result of that layer has come back,
# so the layer's mean task time is known to the master)
late_multi() {
    python3 - "$1" <<'PY'
import csv, sys
chunks = {}
for row in csv.DictReader(open(sys.argv[1])):
    if row["kind"] == "task" and int(row["rank"]) > 0:
        chunks[(int(row["rank"]), int(row["layer"]), int(row["chunk"]))] = int(row["chunk_size"])
seen, late = {}, 0
for (rank, layer, chunk), size in sorted(chunks.items()):
    n = seen[(rank, layer)] = seen.get((rank, layer), 0) + 1
    late += n > 2 and size > 1
print(late)
PY
}
"${MPIRUN[@]}" -np 4 "$NNHULL" bounds "${RUN[@]}" --out cs0.h5 --master-tasks 0 --trace cs0.csv \
    --sched-chunk-seconds 0
"${MPIRUN[@]}" -np 4 "$NNHULL" bounds "${RUN[@]}" --out cs1.h5 --master-tasks 0 --trace cs1.csv \
    --sched-chunk-seconds 1e-9
same plain.h5 cs0.h5
same plain.h5 cs1.h5
check_trace cs1.csv 4 3 1 1,2,3 || fail "trace of the --sched-chunk-seconds 1e-9 run"
n0=$(late_multi cs0.csv) n1=$(late_multi cs1.csv)
echo "late chunks of several tasks: $n0 without the time cap, $n1 with 1e-9 s"
[[ $n0 -gt 0 ]] || fail "without the time cap no late chunk held several tasks (the check cannot fail)"
[[ $n1 -eq 0 ]] || fail "with --sched-chunk-seconds 1e-9, $n1 late chunks held several tasks"
"$NNHULL" bounds "${RUN[@]}" --out x.h5 --sched-chunk-seconds -1 2> err.txt &&
    fail "--sched-chunk-seconds -1 accepted"
grep -q "sched-chunk-seconds" err.txt || fail "no message for --sched-chunk-seconds -1"

echo "== $SECONDS s: workers preparing: SIGTERM, then --resume gives the same file"
LONG=("$NET" --method hull --engine-opts '{"max_rounds": 2}' --center "$CENTER" --eps 0.05
      --clip 0,1 --split 24 --checkpoint-every 0 --quiet)
"$NNHULL" bounds "${LONG[@]}" --out ref.h5
mpirun --oversubscribe -np 3 "$NNHULL" bounds "${LONG[@]}" --master-tasks 0 --out term.h5 \
    2> term.err &
pid=$!
for i in $(seq 200); do
    [ -e term.partial.h5 ] && h5dump -H term.partial.h5 2>/dev/null | has 'GROUP "1"' && break
    sleep 0.1
done
[ -e term.h5 ] && fail "the run ended before the SIGTERM (make it longer)"
kill -TERM "$pid" || fail "mpirun is gone before the SIGTERM"
{ wait "$pid"; } 2>/dev/null && fail "the SIGTERM-killed run exited 0" || true
[ -e term.partial.h5 ] || fail "no checkpoint after SIGTERM"
"${MPIRUN[@]}" -np 3 "$NNHULL" bounds "${LONG[@]}" --master-tasks 0 --out term.h5 --resume
same ref.h5 term.h5

echo "== $SECONDS s: sim-scheduler reads a real trace (known answers: CTest sim_scheduler_selftest)"
python3 "$SRC/scripts/sim-scheduler" np2.csv --ranks 16,32 --regions 8 > sim.txt
cat sim.txt
for pol in old new; do
    for P in 16 32; do
        awk -v p=$pol -v n=$P '$1 == p && $2 == n && $5 > 0 && $5 <= 1.000001 { ok = 1 }
            END { exit ok ? 0 : 1 }' sim.txt || fail "no $pol row for $P ranks with 0 < efficiency <= 1"
    done
done
python3 "$SRC/scripts/sim-scheduler" --measured 2 np2.csv > measured.txt
grep -q "^  all " measured.txt || fail "--measured printed no total"
echo "all scheduler checks passed"
