#!/usr/bin/env bash
# Chaos test (issue 15): MPI jobs whose processes are killed with SIGKILL at
# pseudo-random moments (fixed seed) and restarted until they finish.
# - bounds: a hull run over 4 regions at -np 3, restarted with --resume after
#   each kill of a random rank or of mpirun itself; the final file's regions
#   and layers equal an uninterrupted serial run's bit for bit.
# - verify (ACAS Xu instances from ../shared/data when present): killed and
#   rerun until it answers; the verdict equals the uninterrupted one.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
it_need_mpirun
export OMPI_MCA_orte_execute_quiet=1
JOB=""
cleanup() { [[ -n "$JOB" ]] && kill -9 "$JOB" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
RANDOM=20261202

# pick a victim among mpirun and its children (the ranks); prints the pid
victim() {
  local kids
  kids=$(pgrep -P "$1" 2>/dev/null | tr '\n' ' ' || true)
  local all=($1 $kids)
  echo "${all[$((RANDOM % ${#all[@]}))]}"
}

# chaos CMD...: run CMD in the background, kill a random process of it after
# 0.3-2.2 s, until CMD finishes by itself (at most MAX_KILLS kills, then one
# undisturbed run). Sets KILLS; CMD's output is in $T/chaos.out.
MAX_KILLS=${NNH_CHAOS_KILLS:-6}
chaos() {
  KILLS=0
  while :; do
    "$@" >"$T/chaos.out" 2>"$T/chaos.err" &
    JOB=$!
    if ((KILLS < MAX_KILLS)); then
      local ms=$((300 + RANDOM % 1900)) t=0
      while ((t < ms)) && kill -0 "$JOB" 2>/dev/null; do sleep 0.1; t=$((t + 100)); done
      if kill -0 "$JOB" 2>/dev/null; then
        local v kids
        kids=$(pgrep -P "$JOB" 2>/dev/null | tr '\n' ' ' || true)
        v=$(victim "$JOB")
        kill -9 "$v" 2>/dev/null || true
        KILLS=$((KILLS + 1))
        wait "$JOB" 2>/dev/null || true
        # ranks orphaned by a killed mpirun: end them before the restart
        # (recorded before the kill: they are no longer mpirun's children)
        [[ -n "$kids" ]] && kill -9 $kids 2>/dev/null || true
        JOB=""
        sleep 0.2
        continue
      fi
    fi
    local rc=0
    wait "$JOB" || rc=$?
    JOB=""
    return $rc
  done
}

# ---- bounds ----
NET="$NNH_SOURCE_DIR/examples/digits_sigmoid_64x10x10x10x10x10.onnx"
C=$(awk '/^[0-9]/ { sub(/^[^,]*,/, ""); print; exit }' "$NNH_SOURCE_DIR/examples/digits_test_inputs.csv")
args=(bounds "$NET" --method hull --center "$C" --eps 0.05 --clip 0,1 --split 4 --quiet)
"$NNHULL" "${args[@]}" --out "$T/ref.h5"
rc=0
chaos mpirun --oversubscribe -np 3 "$NNHULL" "${args[@]}" --out "$T/chaos.h5" --resume \
  --checkpoint-every 0 || rc=$?
if [[ $rc -ne 0 ]]; then
  fail "bounds: the final undisturbed --resume run exited $rc: $(head -c 300 "$T/chaos.err")"
elif cmp -s <(h5dump -m %.17g -g /regions -g /layers "$T/ref.h5" | tail -n +2) \
            <(h5dump -m %.17g -g /regions -g /layers "$T/chaos.h5" | tail -n +2); then
  ok "bounds: $KILLS kills, resumed to the same regions and layers as an uninterrupted run"
else
  fail "bounds: after $KILLS kills the file differs from the uninterrupted run"
fi
[[ ! -e "$T/chaos.partial.h5" ]] && ok "bounds: no checkpoint left" || fail "bounds: checkpoint left"
left=$(ls "$T" | grep -c '\.tmp\.' || true)
[[ $left -eq 0 ]] || echo "note: $left stale temporaries of killed processes (removed by the next --resume)"

# ---- verify ----
A="${NNH_SHARED_DATA_DIR:-}/acasxu"
if [[ -d "$A/onnx" ]]; then
  for inst in "ACASXU_run2a_1_1_batch_2000.onnx prop_4.vnnlib" \
              "ACASXU_run2a_5_3_batch_2000.onnx prop_2.vnnlib"; do
    set -- $inst
    want=$("$NNHULL" verify "$A/onnx/$1" "$A/vnnlib/$2" --timeout 300 --quiet | tail -1)
    rc=0
    chaos mpirun --oversubscribe -np 2 "$NNHULL" verify "$A/onnx/$1" "$A/vnnlib/$2" \
      --timeout 300 --quiet || rc=$?
    got=$(tail -1 "$T/chaos.out")
    if [[ $rc -eq 0 && "$got" == "$want" ]]; then ok "verify $1 $2: $KILLS kills, then '$got' as uninterrupted"
    else fail "verify $1 $2: '$got' (exit $rc) after $KILLS kills, uninterrupted '$want'"; fi
  done
else
  echo "skip verify part: $A absent"
fi

it_finish it_chaos
