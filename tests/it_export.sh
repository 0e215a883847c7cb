#!/usr/bin/env bash
# Integration test of `nnhull export` with glpsol (Debian glpk-utils): over an
# eps-ball of the digits examples, min/max of every output of the exported LP
# contain every sampled output (nnhull eval) and are no looser than crown's
# bounds (h5dump of `nnhull bounds --method crown`); --method hull is no looser
# than lp1d; the free MPS file agrees; --milp on ReLU nets gives the exact
# maximum (its x re-evaluated reproduces it to 1e-6, no sample exceeds it);
# the header names the network's SHA-256, method, region and version; bad
# arguments and unsupported cases exit 2 / 1 with a clear message, no file left.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
command -v glpsol >/dev/null || { echo "glpsol not found (glpk-utils)"; exit 77; }
command -v h5dump >/dev/null || { echo "h5dump not found"; exit 77; }
EX="$NNH_SOURCE_DIR/examples"
CENTER="$(sed -n 2p "$EX/digits_test_inputs.csv" | cut -d, -f2-)"
EPS=0.05

# exit status $1 of the rest; stdout/stderr in $T/out, $T/err
expect() {
  local want=$1; shift
  local rc=0
  "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
  [[ $rc -eq $want ]] || { fail "exit $rc (want $want): $* :: $(head -c 300 "$T/err")"; return 1; }
}
export_net() { # net method out [options...]
  local net=$1 m=$2 out=$3; shift 3
  expect 0 "$NNHULL" export "$net" --method "$m" --center "$CENTER" --eps "$EPS" --clip 0,1 \
    --quiet --out "$out" "$@"
}

# samples of the ball clipped to [0,1]: corners and uniform points
awk -F, -v eps=$EPS -v seed=7 '{ srand(seed); for (s = 0; s < 300; s++) { line = "";
  for (j = 1; j <= NF; j++) { u = rand(); if (s < 60) u = (u < 0.5) ? 0 : 1;
    x = $j + eps * (2 * u - 1); x = x < 0 ? 0 : (x > 1 ? 1 : x);
    line = line (j > 1 ? "," : "") sprintf("%.17g", x) } print line } }' <<<"$CENTER" >"$T/samples"

# glpsol on file $1 (lp|mps in $2): optimum on stdout, columns "name value" in $T/cols
solve() {
  local f=$1 fmt=$2 opt=(--lp)
  [[ $fmt == mps ]] && opt=(--freemps)
  glpsol "${opt[@]}" "$f" -o "$T/sol.txt" -w "$T/sol.w" >"$T/glpsol.log" 2>&1 ||
    { echo "glpsol failed on $f: $(tail -3 "$T/glpsol.log")" >&2; return 1; }
  grep -qE 'Status: +(OPTIMAL|INTEGER OPTIMAL)' "$T/sol.txt" ||
    { echo "not optimal: $(grep Status "$T/sol.txt")" >&2; return 1; }
  awk '/Column name/ { on = 1; next } on && $1 ~ /^[0-9]+$/ { print $1, $2 }' "$T/sol.txt" >"$T/names"
  awk 'NR == FNR { name[$1] = $2; next } $1 == "j" { print name[$2], $3 }' "$T/names" "$T/sol.w" >"$T/cols"
  awk '$1 == "s" { print $NF }' "$T/sol.w"
}
# an objective-0 LP file with objective "sense y_j" instead
objective_lp() { # in sense j out
  sed -e "s/^ obj: 0 x_0\$/ obj: + y_$3/" -e "s/^Minimize\$/$([[ $2 == max ]] && echo Maximize || echo Minimize)/" "$1" >"$4"
  grep -q "^ obj: + y_$3\$" "$4"
}
# min and max of every output of an objective-0 LP file: lines "lo hi"
output_ranges() {
  for j in 0 1 2 3 4 5 6 7 8 9; do
    objective_lp "$1" min $j "$T/o.lp" && lo=$(solve "$T/o.lp" lp) || return 1
    objective_lp "$1" max $j "$T/o.lp" && hi=$(solve "$T/o.lp" lp) || return 1
    echo "$lo $hi"
  done
}
# one dataset of an HDF5 file as numbers, one per line
values() { h5dump -m '%.17g' -d "$2" -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | tr -c '0-9eE.+\n-' ' ' |
           tr ' ' '\n' | grep -E '^[-+]?[0-9.]' ; }
# every sampled output of net within the ranges file (tolerance 1e-9)
contains_samples() { # net ranges
  "$NNHULL" eval "$1" <"$T/samples" >"$T/ys" || return 1
  awk -F'[ ,]' 'NR == FNR { lo[NR - 1] = $1; hi[NR - 1] = $2; next }
    { for (j = 1; j <= NF; j++) if ($j < lo[j - 1] - 1e-9 || $j > hi[j - 1] + 1e-9) bad++ }
    END { exit bad ? 1 : 0 }' "$2" "$T/ys"
}
# ranges $1 within ranges $2 (no looser, tolerance 1e-9)
no_looser() {
  paste -d' ' "$1" "$2" | awk '{ if ($1 < $3 - 1e-9 || $2 > $4 + 1e-9) bad++ } END { exit (NR == 10 && !bad) ? 0 : 1 }'
}

expect 0 "$NNHULL" export --help && for w in --method --format --milp --objective --out x_j z_k_i a_k_i y_j; do
  grep -qF -- "$w" "$T/out" || fail "export --help lacks $w"
done && ok "help lists the options and variables"
expect 0 "$NNHULL" --help && grep -q '^  export ' "$T/out" && ok "export is in the command table"

# ---- every activation: LP optimum contains the samples, no looser than crown ----
for act in relu leaky_relu sigmoid tanh softplus elu selu; do
  net="$EX/digits_${act}_64x10x10x10x10x10.onnx"
  export_net "$net" lp1d "$T/$act.lp" || continue
  output_ranges "$T/$act.lp" >"$T/$act.ranges" || { fail "$act: glpsol"; continue; }
  contains_samples "$net" "$T/$act.ranges" && ok "$act: lp1d model contains 300 sampled outputs" ||
    fail "$act: a sampled output lies outside the model's min/max"
  expect 0 "$NNHULL" bounds "$net" --method crown --center "$CENTER" --eps $EPS --clip 0,1 --quiet \
    --out "$T/$act.crown.h5" || continue
  paste -d' ' <(values "$T/$act.crown.h5" /layers/4/pre_lower) <(values "$T/$act.crown.h5" /layers/4/pre_upper) >"$T/$act.crown"
  no_looser "$T/$act.ranges" "$T/$act.crown" && ok "$act: lp1d model no looser than crown" ||
    fail "$act: model looser than crown: $(paste -d' ' "$T/$act.ranges" "$T/$act.crown" | head -3)"
done

# ---- hull: no looser than lp1d, samples contained ----
for act in relu sigmoid; do
  net="$EX/digits_${act}_64x10x10x10x10x10.onnx"
  [[ -f $T/$act.ranges ]] || continue
  export_net "$net" hull "$T/$act.hull.lp" || continue
  grep -q '^ hull_[0-9]*_[0-9]*_[0-9]*:' "$T/$act.hull.lp" || fail "$act: no hull cut in the hull model"
  grep -q 'hull_k_i_n: [1-9][0-9]* multivariate hull cuts' "$T/$act.hull.lp" || fail "$act: hull cuts not described"
  output_ranges "$T/$act.hull.lp" >"$T/$act.hull.ranges" || { fail "$act hull: glpsol"; continue; }
  no_looser "$T/$act.hull.ranges" "$T/$act.ranges" && ok "$act: hull model no looser than lp1d" ||
    fail "$act: hull looser than lp1d: $(paste -d' ' "$T/$act.hull.ranges" "$T/$act.ranges" | head -3)"
  contains_samples "$net" "$T/$act.hull.ranges" && ok "$act: hull model contains the samples" ||
    fail "$act: hull model excludes a sample"
  awk '{ w += $2 - $1 } END { printf "%s", w / NR }' "$T/$act.hull.ranges" >"$T/w1"
  awk '{ w += $2 - $1 } END { printf "%s", w / NR }' "$T/$act.ranges" >"$T/w2"
  echo "   $act mean output width: hull $(cat "$T/w1"), lp1d $(cat "$T/w2")"
done

# ---- free MPS with --objective: same kind of answer, samples contained ----
net="$EX/digits_tanh_64x10x10x10x10x10.onnx"
: >"$T/mps.ranges"
for j in 0 1 2 3 4 5 6 7 8 9; do
  export_net "$net" crown "$T/lo.mps" --objective min:y_$j && export_net "$net" crown "$T/hi.mps" --objective max:y_$j &&
    echo "$(solve "$T/lo.mps" mps) $(solve "$T/hi.mps" mps | awk '{ printf "%.17g", -$1 }')" >>"$T/mps.ranges" || break
done
[[ $(wc -l <"$T/mps.ranges") -eq 10 ]] && contains_samples "$net" "$T/mps.ranges" &&
  ok "tanh: free MPS models with --objective contain the samples" || fail "tanh: MPS models"
head -1 "$T/lo.mps" | has '^\* nnhull export' || fail "MPS header is not a comment"
grep -q '^\* objective: maximise y_9 is written as minimise -y_9' "$T/hi.mps" || fail "MPS maximisation not explained"

# ---- header ----
f="$T/relu.lp"
sha=$(sha256sum "$EX/digits_relu_64x10x10x10x10x10.onnx" | cut -d' ' -f1)
ver=$("$NNHULL" --version | awk '{print $2}')
grep -q "^\\\\ network sha256: $sha\$" "$f" && grep -q '^\\ method: lp1d' "$f" &&
  grep -q '^\\ region: L-infinity ball of radius 0.05' "$f" && grep -q "^\\\\ .*nnhull $ver" "$f" &&
  ok "header: sha256, method, region, version" || fail "header: $(head -8 "$f")"
[[ $(grep -vc '^\\' "$f" | head -1) -gt 0 && $(head -1 "$f" | cut -c1) == '\' ]] || fail "header is not at the top"

# ---- the same ball as --box file and as a VNNLIB property: the same optimum ----
net="$EX/digits_relu_64x10x10x10x10x10.onnx"
awk -F, -v eps=$EPS '{ for (j = 1; j <= NF; j++) { lo = $j - eps; hi = $j + eps;
  printf "%.17g %.17g\n", (lo < 0 ? 0 : lo), (hi > 1 ? 1 : hi) } }' <<<"$CENTER" >"$T/ball.box"
{ for j in $(seq 0 63); do echo "(declare-const X_$j Real)"; done
  for j in $(seq 0 9); do echo "(declare-const Y_$j Real)"; done
  awk '{ printf "(assert (>= X_%d %s))\n(assert (<= X_%d %s))\n", NR - 1, $1, NR - 1, $2 }' "$T/ball.box"
  echo "(assert (>= Y_0 Y_1))"; } >"$T/ball.vnnlib"
expect 0 "$NNHULL" export "$net" --method crown --box "$T/ball.box" --objective max:y_3 --quiet --out "$T/box.lp" &&
  expect 0 "$NNHULL" export "$net" --method crown --spec "$T/ball.vnnlib" --objective max:y_3 --quiet --out "$T/spec.lp" &&
  export_net "$net" crown "$T/ctr.lp" --objective max:y_3 &&
  v1=$(solve "$T/box.lp" lp) && v2=$(solve "$T/spec.lp" lp) && v3=$(solve "$T/ctr.lp" lp) &&
  awk -v a="$v1" -v b="$v2" -v c="$v3" 'BEGIN { exit (a - c < 1e-9 && c - a < 1e-9 && b - c < 1e-9 && c - b < 1e-9) ? 0 : 1 }' &&
  grep -q '^\\ region: input box 1 of 1 of .*ball.vnnlib (output constraints not included)' "$T/spec.lp" &&
  ok "--box, --spec and --center give the same optimum ($v3)" || fail "--box/--spec/--center: ${v1:-} ${v2:-} ${v3:-}"

# ---- MILP: exact maximum on ReLU nets ----
for act in relu leaky_relu; do
  net="$EX/digits_${act}_64x10x10x10x10x10.onnx"
  EPS=0.1 export_net "$net" lp1d "$T/m.lp" --milp --objective max:y_2 || continue
  EPS=0.1
  grep -q '^ d_[0-9]*_[0-9]*$' "$T/m.lp" || fail "$act: no binary in the MILP"
  best=$(solve "$T/m.lp" lp) || { fail "$act: glpsol on the MILP"; EPS=0.05; continue; }
  x=$(awk '$1 ~ /^x_/ { split($1, p, "_"); v[p[2]] = $2; if (p[2] + 1 > n) n = p[2] + 1 }
           END { for (j = 0; j < n; j++) printf "%s%s", j ? "," : "", v[j] }' "$T/cols")
  y2=$("$NNHULL" eval "$net" "$x" | cut -d, -f3)
  awk -v a="$best" -v b="$y2" 'BEGIN { d = a - b; exit (d < 1e-6 && d > -1e-6) ? 0 : 1 }' &&
    ok "$act: MILP maximum $best reproduced by eval ($y2)" || fail "$act: MILP optimum $best, eval of its x gives $y2"
  awk -F, -v eps=$EPS -v seed=11 '{ srand(seed); for (s = 0; s < 300; s++) { line = "";
    for (j = 1; j <= NF; j++) { u = rand(); if (s < 100) u = (u < 0.5) ? 0 : 1;
      x = $j + eps * (2 * u - 1); x = x < 0 ? 0 : (x > 1 ? 1 : x);
      line = line (j > 1 ? "," : "") sprintf("%.17g", x) } print line } }' <<<"$CENTER" |
    "$NNHULL" eval "$net" | awk -F, -v m="$best" '$3 > m + 1e-9 { bad++ } END { exit bad ? 1 : 0 }' &&
    ok "$act: no sample exceeds the MILP maximum" || fail "$act: a sample exceeds the MILP maximum $best"
  EPS=0.05
done
export_net "$EX/digits_sigmoid_64x10x10x10x10x10.onnx" crown "$T/s.lp" --milp &&
  grep -q 'other activations keep the convex relaxation' "$T/s.lp" && ! grep -q '^ d_' "$T/s.lp" &&
  ok "--milp on sigmoid keeps the relaxation and says so" || fail "--milp on sigmoid"

# ---- bad arguments and unsupported cases ----
net="$EX/digits_relu_64x10x10x10x10x10.onnx"
bad() { # want-exit message-fragment args...
  local want=$1 msg=$2; shift 2
  expect "$want" "$NNHULL" export "$@" && grep -qF -- "$msg" "$T/err" && ok "refused ($want): $msg" ||
    fail "no '$msg' in: $(head -c 300 "$T/err")"
}
bad 2 "missing --method" "$net" --center "$CENTER" --eps 0.1 --out "$T/x.lp"
bad 2 "unknown method" "$net" --center "$CENTER" --eps 0.1 --method exact --out "$T/x.lp"
bad 2 "unknown format" "$net" --center "$CENTER" --eps 0.1 --method ibp --format xls --out "$T/x.lp"
bad 2 "expected min:NAME or max:NAME" "$net" --center "$CENTER" --eps 0.1 --method ibp --objective y_1 --out "$T/x.lp"
bad 2 "exactly one input region" "$net" --method ibp --out "$T/x.lp"
bad 2 "--cut-rounds applies to --method hull" "$net" --center "$CENTER" --eps 0.1 --method lp1d --cut-rounds 2 --out "$T/x.lp"
bad 2 "missing --out" "$net" --center "$CENTER" --eps 0.1 --method ibp
bad 1 "no variable 'y_99'" "$net" --center "$CENTER" --eps 0.1 --method ibp --objective max:y_99 --out "$T/x.lp"
bad 1 "no variable 'd_0_0'" "$net" --center "$CENTER" --eps 0.1 --method ibp --objective max:d_0_0 --out "$T/x.lp"
printf '%s\n' $(for j in $(seq 64); do echo "0 inf"; done) | paste -d' ' - - >"$T/inf.box"
bad 1 "not finite" "$net" --box "$T/inf.box" --method ibp --out "$T/x.lp"
bad 1 "has 64 inputs" "$net" --center "$(seq -s, 80)" --eps 0.1 --method ibp --out "$T/x.lp"
[[ ! -e $T/x.lp ]] && ! ls "$T"/x.lp.tmp* >/dev/null 2>&1 && ok "refused runs leave no file" || fail "a refused run left a file"
# --out naming an input (here a hard link to the network) is refused, the input intact
cp "$net" "$T/net.onnx" && ln "$T/net.onnx" "$T/same.lp"
sum0=$(sha256sum <"$T/net.onnx")
bad 2 "same file" "$T/net.onnx" --center "$CENTER" --eps 0.1 --method ibp --out "$T/same.lp"
[[ "$(sha256sum <"$T/net.onnx")" == "$sum0" ]] && ok "the network is intact" || fail "export overwrote its network"
# a planted symlink at a temporary-looking name is never followed
ln -s "$T/victim" "$T/y.lp.tmp.$$" && echo keep >"$T/victim"
expect 0 "$NNHULL" export "$net" --center "$CENTER" --eps 0.1 --method ibp --out "$T/y.lp" --quiet &&
  [[ "$(cat "$T/victim")" == keep && -s "$T/y.lp" ]] && ok "exclusive temporaries: planted link untouched" ||
  fail "export followed a planted link or wrote nothing"

it_finish it_export
