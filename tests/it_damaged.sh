#!/usr/bin/env bash
# Damaged bound files through the nnhull binary (issue 15, defect 3): bytes of
# a crown bound file of tests/data/tiny_mlp.onnx are changed one at a time
# (every byte of the raw data of /layers/0/pre_lower, and every 199th byte of
# the file). For each damaged copy:
# - `nnhull report` exits 0 or 1 within 20 s (no crash, no hang);
# - used as the checkpoint OUT.partial.h5 of `bounds --resume`, the run
#   succeeds and writes exactly the numbers of an uninterrupted run: damage
#   is detected and reported, and the run starts over instead of trusting it.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
command -v h5dump >/dev/null || { echo "h5dump not found: skipped"; exit 77; }
NET="$NNH_SOURCE_DIR/tests/data/tiny_mlp.onnx"
RUN=(bounds "$NET" --center 0.1,0.2,0.3 --eps 0.1 --method crown --quiet)
"$NNHULL" "${RUN[@]}" --out "$T/ref.h5"
numbers() { h5dump -m %.17g -g /regions -g /layers "$1" | tail -n +2; }
numbers "$T/ref.h5" >"$T/ref.txt"
SIZE=$(stat -c %s "$T/ref.h5")

# offset of the raw bytes of /layers/0/pre_lower in the file
h5dump -d /layers/0/pre_lower -b LE -o "$T/raw.bin" "$T/ref.h5" >/dev/null
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
DATA=$(awk -v f="$(hex "$T/ref.h5")" -v p="$(hex "$T/raw.bin")" 'BEGIN { i = index(f, p); print (i % 2 == 1) ? (i - 1) / 2 : -1 }')
DLEN=$(stat -c %s "$T/raw.bin")
[[ $DATA -ge 0 && $DLEN -eq 32 ]] || { echo "FAIL: raw data of /layers/0/pre_lower not found in the file"; exit 1; }

offsets() {
  seq "$DATA" $((DATA + DLEN - 1))
  seq 5 199 $((SIZE - 1))
}
n=0 restarted=0
for off in $(offsets); do
  n=$((n + 1))
  cp "$T/ref.h5" "$T/d.h5"
  b=$(od -An -tu1 -j "$off" -N1 "$T/d.h5" | tr -d ' ')
  printf "\\$(printf %03o $((b ^ 0x5a)))" | dd of="$T/d.h5" bs=1 seek="$off" conv=notrunc status=none
  rc=0
  timeout 20 "$NNHULL" report "$T/d.h5" >/dev/null 2>"$T/err" || rc=$?
  [[ $rc -le 1 ]] || fail "byte $off: report exit $rc: $(head -c 200 "$T/err")"
  rm -f "$T/o.h5"
  cp "$T/d.h5" "$T/o.partial.h5"
  rc=0
  timeout 60 "$NNHULL" "${RUN[@]}" --resume --out "$T/o.h5" >/dev/null 2>"$T/err" || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "byte $off: --resume exit $rc: $(head -c 200 "$T/err")"
  elif ! cmp -s "$T/ref.txt" <(numbers "$T/o.h5"); then
    fail "byte $off: --resume trusted a damaged checkpoint (the numbers differ)"
  elif grep -q "damaged" "$T/err"; then
    restarted=$((restarted + 1))
  fi
  [[ ! -e "$T/o.partial.h5" ]] || fail "byte $off: checkpoint left after success"
  rm -f "$T/o.partial.h5"
done
echo "$n damaged copies: report never crashed; --resume restarted on $restarted, wrote the reference numbers every time"
[[ $restarted -ge $DLEN ]] || fail "only $restarted damaged checkpoints were reported as damaged"

it_finish it_damaged
