# Sourced by the integration tests that verify robustness on the digits
# examples: robust CSV ROW EPS prints the VNNLIB of "some other class scores
# at least the label" on the L_inf ball of radius EPS (clipped to [0, 1])
# around image ROW of the examples' CSV (label first, then the pixels).
# Also: E (the examples), PY (a python3 with numpy and onnx when there is
# one), verdict OUT / regions OUT (the last line and the region count of a
# verify output) and expect_verdict VERDICT OUT -- CMD... (run CMD, output in
# OUT, count a failure unless it exits 0 with VERDICT as its last line).
E=$SRC/examples
PY=python3
/usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null && PY=/usr/bin/python3
verdict() { tail -n 1 "$1"; }
regions() { sed -n 's/^regions: \([0-9]*\) decided.*/\1/p' "$1"; }
expect_verdict() {
    local want=$1 out=$2
    shift 3
    "$@" >"$out" 2>&1 || { fail "exit $? of $*: $(tail -n 3 "$out")"; return; }
    [ "$(tail -n 1 "$out")" = "$want" ] || fail "$want expected from $*, got: $(tail -n 3 "$out")"
}

robust() {
    awk -F, -v row="$2" -v eps="$3" 'NR == row + 2 {
      n = NF - 1; lab = $1
      for (i = 0; i < n; i++) printf "(declare-const X_%d Real)\n", i
      for (j = 0; j < 10; j++) printf "(declare-const Y_%d Real)\n", j
      for (i = 0; i < n; i++) { lo = $(i + 2) - eps; hi = $(i + 2) + eps
        if (lo < 0) lo = 0; if (hi > 1) hi = 1
        printf "(assert (>= X_%d %.17g))\n(assert (<= X_%d %.17g))\n", i, lo, i, hi }
      printf "(assert (or"
      for (j = 0; j < 10; j++) if (j != lab) printf " (and (>= Y_%d Y_%d))", j, lab
      printf "))\n" }' "$1"
}
