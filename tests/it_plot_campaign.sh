#!/bin/bash
# Integration test of scripts/plot-campaign: two tiny campaigns on the bundled
# tests/data/tiny_mlp.onnx (crown and ibp; an unsat, a sat and a failing
# instance each) plotted together: the PNG exists and is a PNG, the printed
# counts equal those of each results.csv, lines are labelled by the method in
# results.h5 (not the folder name), and a folder without results.csv fails with a message naming
# the file. Skipped (77) when matplotlib is missing, except in CI ($CI set),
# where scripts/install-deps.sh installs it.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
PLOT=$SRC/scripts/plot-campaign
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null && ! python3 -c 'import matplotlib' 2>/dev/null; then
    [ -n "${CI:-}" ] && { echo "FAIL: matplotlib missing in CI (scripts/install-deps.sh installs it)"; exit 1; }
    echo "matplotlib not installed: skipped"; exit 77
fi

mkdir -p "$T/c"
cp "$SRC/tests/data/tiny_mlp.onnx" "$T/c/"
decl='(declare-const X_0 Real)(declare-const X_1 Real)(declare-const X_2 Real)
(declare-const Y_0 Real)(declare-const Y_1 Real)
(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))
(assert (>= X_2 -1))(assert (<= X_2 1))'
y0=$("$N" eval "$T/c/tiny_mlp.onnx" 0,0,0 | cut -d, -f1)
printf '%s\n(assert (>= Y_0 1000))\n' "$decl" >"$T/c/unsat.vnnlib"
printf '%s\n(assert (>= Y_0 %s))\n' "$decl" "$y0" >"$T/c/sat.vnnlib"
printf 'onnx,vnnlib,timeout_s\ntiny_mlp.onnx,unsat.vnnlib,30\ntiny_mlp.onnx,sat.vnnlib,30\nmissing.onnx,sat.vnnlib,30\n' \
    >"$T/c/list.csv"
"$N" campaign "$T/c/list.csv" --out "$T/run_a" --quiet >/dev/null 2>&1
"$N" campaign "$T/c/list.csv" --out "$T/run_b" --method ibp --quiet >/dev/null 2>&1

echo "== plot"
python3 "$PLOT" "$T/run_a" "$T/run_b" --out "$T/cactus.png" >"$T/out" 2>"$T/err" ||
    fail "plot-campaign failed: $(cat "$T/err")"
[ -s "$T/cactus.png" ] || fail "no PNG written"
[ "$(head -c 8 "$T/cactus.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "cactus.png is not a PNG"
for d in run_a:crown run_b:ibp; do
    m=${d#*:}; d=${d%:*}
    want=$(awk -F, 'NR > 1 { n[$3]++; t++ } END {
        printf "sat %d, unsat %d, timeout %d, unknown %d, error %d; solved %d of %d",
            n["sat"], n["unsat"], n["timeout"], n["unknown"], n["error"], n["sat"] + n["unsat"], t }' \
        "$T/$d/results.csv")
    line=$(grep "^$T/$d " "$T/out" || true)
    [ "${line#*: }" = "$want" ] || fail "$d: printed '$line', results.csv says '$want'"
    [[ "$line" == "$T/$d ($m)"* ]] || fail "$d: not labelled by its method $m: '$line'"
done
grep -q "error 1" "$T/out" || fail "the failing instance is not counted"

echo "== errors name the file"
mkdir -p "$T/empty"
set +e
python3 "$PLOT" "$T/run_a" "$T/empty" --out "$T/x.png" >/dev/null 2>"$T/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "missing results.csv: exit $rc (want 1)"
grep -q "$T/empty/results.csv" "$T/err" || fail "message does not name the file: $(cat "$T/err")"
printf 'onnx,vnnlib,result,seconds\na,b,maybe,1\n' >"$T/empty/results.csv"
python3 "$PLOT" "$T/empty" --out "$T/x.png" >/dev/null 2>"$T/err" && fail "a bad result was accepted"
grep -q "results.csv:2" "$T/err" || fail "message does not name the line: $(cat "$T/err")"
python3 "$PLOT" --help | has -- "--out" || fail "--help does not describe --out"

it_finish it_plot_campaign
