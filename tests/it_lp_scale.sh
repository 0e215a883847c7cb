#!/usr/bin/env bash
# Regression: a network with finite weights around 1e200 (later bounds
# overflow to inf) made lp1d/hull hand GLPK an LP on which its simplex
# asserted and aborted the process (exit 134; under MPI both ranks died).
# Now every run finishes with exit 0, a complete file, and the LP tasks that
# could not be built counted as fallbacks - serially and over 2 MPI ranks.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
it_mpi

# 2 -> 4 -> 4 -> 4 -> 1 ReLU, the first two layers' weights ~1e200
python3 - "$T/huge.nnet" <<'PY'
import random, sys
random.seed(1)
sizes = [2, 4, 4, 4, 1]
L = len(sizes) - 1
out = ["// weights around 1e200", f"{L},2,1,4,", ",".join(map(str, sizes)) + ",", "0,",
       "-1,-1,", "1,1,", "0,0,0,", "1,1,1,"]
for k in range(L):
    scale = 1e200 if k < 2 else 1.0
    for i in range(sizes[k + 1]):
        out.append(",".join(f"{random.uniform(-1, 1) * scale:.6g}" for _ in range(sizes[k])) + ",")
    for i in range(sizes[k + 1]):
        out.append(f"{random.uniform(-1, 1):.6g},")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
printf -- '-1 1\n-1 1\n' > "$T/box"

run() { # label, command...
  local label=$1; shift
  local rc=0
  "$@" >"$T/out" 2>"$T/err" || rc=$?
  if [[ $rc -ne 0 ]]; then fail "$label: exit $rc: $(head -c 300 "$T/err")"; return 1; fi
  return 0
}
for m in lp1d hull; do
  for np in 1 2; do
    f="$T/out_${m}_$np.h5"
    if [[ $np -eq 1 ]]; then cmd=("$NNHULL"); else
      command -v mpirun >/dev/null || { echo "skip: no mpirun"; continue; }
      cmd=(mpirun --oversubscribe -np 2 "$NNHULL"); fi
    run "$m -np $np" "${cmd[@]}" bounds "$T/huge.nnet" --method "$m" --box "$T/box" --out "$f" --quiet || continue
    status=$(h5dump -a /status "$f" | grep -o '"complete"' || true)
    fb=$(h5dump -d /stats/fallbacks "$f" | awk -F'[:,]' '/\(0\)/ {s=0; for (i=2;i<=NF;i++) s+=$i; print s}')
    if [[ "$status" == '"complete"' && "${fb:-0}" -gt 0 ]]; then ok "$m -np $np: complete, $fb fallbacks"
    else fail "$m -np $np: status '$status', fallbacks '$fb'"; fi
  done
done
it_finish it_lp_scale
