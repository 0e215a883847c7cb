#!/usr/bin/env bash
# Integration test of the nnhull command line: help and usage errors of every
# command, eval against an independent evaluation (awk) of tests/data/tiny_mlp.onnx,
# bounds -> HDF5 file checked with h5dump (datasets, shapes, status, containment
# of sampled outputs), report, failures naming the file, no temporary files left.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
NET="$NNH_SOURCE_DIR/tests/data/tiny_mlp.onnx"
DATA="${NNH_SHARED_DATA_DIR:-}"

# run CMD..., expecting exit status $1; stdout in $T/out, stderr in $T/err

# ---- help, version, usage errors -------------------------------------------
expect 0 "$NNHULL" --help && out_has "info" && out_has "eval" && out_has "bounds" && out_has "report" && ok "--help"
expect 0 "$NNHULL" --version && grep -qE '^nnhull [0-9]+\.[0-9]+' "$T/out" && ok "--version"
declare -A OPTS=(
  [info]="--strip-softmax --nnet-normalized --nnet-output-relu --dense-layers"
  [eval]="--strip-softmax --nnet-normalized --nnet-output-relu --dense-layers"
  [bounds]="--spec --box --center --eps --clip --method --out --quiet --engine-opts --strip-softmax ibp"
  [report]="--help")
for cmd in "${!OPTS[@]}"; do
  expect 0 "$NNHULL" "$cmd" --help || continue
  cp "$T/out" "$T/help1"
  for o in ${OPTS[$cmd]}; do out_has "$o"; done
  out_has "example"
  expect 0 "$NNHULL" help "$cmd" && cmp -s "$T/out" "$T/help1" && ok "$cmd --help"
done
expect 2 "$NNHULL" && ok "no command: 2"
expect 2 "$NNHULL" frobnicate && err_has "unknown command" && ok "unknown command: 2"
expect 2 "$NNHULL" info --bogus "$NET" && err_has "--bogus" && ok "unknown option: 2"
expect 2 "$NNHULL" eval && ok "eval without NET: 2"
expect 2 "$NNHULL" report && ok "report without file: 2"
expect 2 "$NNHULL" bounds "$NET" --center 0,0,0 --eps 0.1 --method ibp && err_has "--out" && ok "bounds without --out: 2"
expect 2 "$NNHULL" bounds "$NET" --center 0,0,0 --eps 0.1 --method nope --out "$T/x.h5" &&
  err_has "unknown method 'nope'" && err_has "ibp" && ok "unknown method lists the valid ones"
expect 2 "$NNHULL" bounds "$NET" --center 0,0,0 --method ibp --out "$T/x.h5" && ok "--center without --eps: 2"
expect 2 "$NNHULL" bounds "$NET" --center 0,0,0 --eps 1 --box "$T/b" --method ibp --out "$T/x.h5" && ok "two regions: 2"
expect 2 "$NNHULL" bounds "$NET" --center 0,0,0 --eps 1 --method ibp --engine-opts '{bad' --out "$T/x.h5" && ok "bad JSON: 2"

# ---- eval vs an independent evaluation ------------------------------------
# weights of tests/data/tiny_mlp.onnx (see tests/data/make_tiny_mlp.py), y = x W + b
ref_eval() {
  awk -F'[, ]+' '
  function sig(z) { return 1 / (1 + exp(-z)) }
  function th(z,  e) { e = exp(-2 * (z < 0 ? -z : z)); return (z < 0 ? -1 : 1) * (1 - e) / (1 + e) }
  BEGIN {
    split("0.5 -1.25 0.75 2.0 -0.5 1.0 0.25 -1.5 1.5 0.125 -0.875 0.5", W0, " ")
    split("0.25 -0.5 0.0 1.0", B0, " ")
    split("1.0 -0.5 0.25 -1.0 0.75 0.5 0.5 0.5 -1.25 2.0 -0.25 0.125", W1, " ")
    split("-0.125 0.375 0.0", B1, " ")
    split("1.5 -2.0 -0.75 1.0 0.5 0.25", W2, " ")
    split("0.5 -0.25", B2, " ")
  }
  {
    for (j = 1; j <= 4; j++) { z = B0[j]; for (i = 1; i <= 3; i++) z += $i * W0[(i-1)*4 + j]; a[j] = sig(z) }
    for (j = 1; j <= 3; j++) { z = B1[j]; for (i = 1; i <= 4; i++) z += a[i] * W1[(i-1)*3 + j]; c[j] = th(z) }
    for (j = 1; j <= 2; j++) { z = B2[j]; for (i = 1; i <= 3; i++) z += c[i] * W2[(i-1)*2 + j]; y[j] = z }
    printf "%.17g,%.17g\n", y[1], y[2]
  }'
}
# close within 1e-12 (awk and nnhull may round sums differently)
same_rows() {
  paste -d, "$1" "$2" | awk -F, '{ for (i = 1; i <= 2; i++) { d = $i - $(i+2); if (d < 0) d = -d; if (d > 1e-12) bad++ } }
                                 END { exit (NR > 0 && bad == 0) ? 0 : 1 }'
}
awk 'BEGIN { srand(7); for (r = 0; r < 50; r++) printf "%.6f,%.6f %.6f\n", 4*rand()-2, 4*rand()-2, 4*rand()-2 }' >"$T/rows"
ref_eval <"$T/rows" >"$T/ref"
expect 0 "$NNHULL" eval "$NET" <"$T/rows" && same_rows "$T/out" "$T/ref" && [[ $(wc -l <"$T/out") -eq 50 ]] &&
  ok "eval stdin matches the independent evaluation (50 rows)"
expect 0 "$NNHULL" eval "$NET" -1.5 0.25,2 && echo "-1.5 0.25 2" | ref_eval >"$T/ref1" && same_rows "$T/out" "$T/ref1" &&
  ok "eval arguments (negative numbers, mixed separators)"
printf '0,0,0\n0,0\n' >"$T/short"
expect 1 "$NNHULL" eval "$NET" <"$T/short" && err_has "<stdin>:2" && ok "eval wrong count names the stdin line"
printf '# comment\n\n0,zero,0\n' >"$T/badnum"
expect 1 "$NNHULL" eval "$NET" <"$T/badnum" && err_has "<stdin>:3" && err_has "zero" && ok "eval bad number names the stdin line"
if [[ -n "$DATA" && -f "$DATA/vnncomp2021_test/test_small.onnx" ]]; then
  # y = 24 max(x + 1.5, 0) + 18.5 (see the data README)
  expect 0 "$NNHULL" eval "$DATA/vnncomp2021_test/test_small.onnx" 0.5 && [[ $(cat "$T/out") == 66.5 ]] &&
    expect 0 "$NNHULL" eval "$DATA/vnncomp2021_test/test_small.onnx" -3 && [[ $(cat "$T/out") == 18.5 ]] &&
    ok "eval test_small.onnx matches its closed form"
else
  echo "skip: shared data absent (test_small.onnx)"
fi

# ---- info -----------------------------------------------------------------
expect 0 "$NNHULL" info "$NET" && out_has "inputs:           3" && out_has "outputs:          2" &&
  out_has "sigmoid" && out_has "tanh" && out_has "parameters:       39" && ok "info"

# ---- bounds -> HDF5 -----------------------------------------------------------
printf '# tiny box\n-1 0.5\n0.25 0.75   # second input\n\n-0.5 -0.5\n' >"$T/box.txt"
mkdir "$T/outdir"
expect 0 "$NNHULL" bounds "$NET" --box "$T/box.txt" --method ibp --out "$T/outdir/b.h5" &&
  [[ $(grep -c '^layer ' "$T/out") -eq 3 ]] && ok "bounds --box writes a file and one line per layer"
H="$T/outdir/b.h5"
h5dump -A "$H" >"$T/attrs"
grep -A12 'ATTRIBUTE "status"' "$T/attrs" | has '"complete"' && ok "status complete" || fail "status is not complete"
for a in format format_version nnhull_version created_utc network_path network_sha256 spec_path method options mpi_ranks; do
  grep -q "ATTRIBUTE \"$a\"" "$T/attrs" || fail "root attribute $a missing"
done
grep -A12 'ATTRIBUTE "format"' "$T/attrs" | has '"nnhull-bounds"' || fail "format attribute"
grep -A12 'ATTRIBUTE "network_sha256"' "$T/attrs" | has "$(sha256sum "$NET" | cut -c1-64)" &&
  ok "network_sha256 equals sha256sum" || fail "network_sha256 differs from sha256sum"
shape() { h5dump -H -d "$1" "$H" | grep -o 'SIMPLE { ( [0-9, ]* )' | head -1 | tr -d 'SIMPLE{( )'; }
[[ $(shape /regions/lower) == 1,3 && $(shape /regions/upper) == 1,3 ]] || fail "regions shape $(shape /regions/lower)"
widths=(4 3 2)
for k in 0 1 2; do
  for d in pre_lower pre_upper post_lower post_upper; do
    [[ $(shape /layers/$k/$d) == "1,${widths[$k]}" ]] || fail "/layers/$k/$d shape $(shape /layers/$k/$d)"
  done
done
for s in seconds lp_solves simplex_iters cuts_1d cuts_multivariate fallbacks; do
  [[ $(shape /stats/$s) == 3 ]] || fail "/stats/$s shape"
done
h5dump -a /layers/1/activation "$H" | has '"tanh"' || fail "/layers/1 activation attribute"
ok "datasets and shapes"

# values of a [1 x n] dataset, one per line, full precision
values() { h5dump -m '%.17g' -d "$1" -y -w 0 "$H" | sed -n '/DATA {/,/}/p' | tr -d 'DATA{}' | tr ',' '\n' | tr -d ' ' | grep -v '^$'; }
values /layers/2/pre_lower >"$T/lo"
values /layers/2/pre_upper >"$T/hi"
[[ $(wc -l <"$T/lo") -eq 2 && $(wc -l <"$T/hi") -eq 2 ]] || fail "could not read /layers/2 bounds"
# random inputs in the box: their outputs must lie within the output bounds
awk 'BEGIN { srand(11); for (r = 0; r < 300; r++) printf "%.17g,%.17g,%.17g\n", -1 + 1.5*rand(), 0.25 + 0.5*rand(), -0.5 }' >"$T/samples"
"$NNHULL" eval "$NET" <"$T/samples" >"$T/ys"
awk -F, -v lo="$(paste -sd, "$T/lo")" -v hi="$(paste -sd, "$T/hi")" '
  BEGIN { split(lo, L, ","); split(hi, U, ",") }
  { for (i = 1; i <= 2; i++) if (!($i >= L[i] && $i <= U[i])) bad++ }
  END { exit (NR == 300 && bad == 0) ? 0 : 1 }' "$T/ys" && ok "300 sampled outputs inside the output bounds" ||
  fail "sampled outputs outside the bounds"

expect 0 "$NNHULL" report "$H" && out_has "status:          complete" && out_has "tanh" &&
  [[ $(grep -cE '^ +[0-9]+ +[0-9]+ +(sigmoid|tanh|identity) ' "$T/out") -eq 3 ]] && ok "report prints the 3 layers"

expect 0 "$NNHULL" bounds "$NET" --center 0.5,0.5,1.1 --eps 0.25 --clip 0,1 --method ibp --quiet --out "$T/outdir/c.h5" &&
  [[ ! -s "$T/out" ]] && ok "--center/--eps/--clip, --quiet prints nothing"
values() { h5dump -m '%.17g' -d "$1" -y -w 0 "$T/outdir/c.h5" | sed -n '/DATA {/,/}/p' | tr -d 'DATA{}' | tr ',' '\n' | tr -d ' ' | grep -v '^$'; }
# [0.25, 0.75] rounded outward in inputs 0 and 1; [0.85, 1.35] clipped to [0.85, 1] in input 2
awk -v lo="$(values /regions/lower | paste -sd,)" -v hi="$(values /regions/upper | paste -sd,)" 'BEGIN {
  split(lo, L, ","); split(hi, U, ",")
  exit (L[1] < 0.25 && L[1] > 0.2499999 && U[1] > 0.75 && U[1] < 0.7500001 && L[3] <= 0.85 && L[3] > 0.8499999 && U[3] == 1) ? 0 : 1
}' && ok "center +/- eps rounded outward, then clipped" ||
  fail "region of --center/--eps/--clip: $(values /regions/lower | paste -sd,) / $(values /regions/upper | paste -sd,)"
printf '0.5\n0.5 # x2\n0.5\n' >"$T/center.txt"
expect 0 "$NNHULL" bounds "$NET" --center "$T/center.txt" --eps 0 --method ibp --quiet --out "$T/outdir/d.h5" &&
  ok "--center from a file"

# ---- failures name the file and exit 1 ---------------------------------------
expect 1 "$NNHULL" bounds "$T/missing.onnx" --box "$T/box.txt" --method ibp --out "$T/outdir/e.h5" &&
  err_has "$T/missing.onnx" && ok "missing network: 1, named"
expect 1 "$NNHULL" info "$T/box.txt" && err_has "$T/box.txt" && ok "not a network: 1, named"
printf '0 1\n0 oops\n0 1\n' >"$T/bad.txt"
expect 1 "$NNHULL" bounds "$NET" --box "$T/bad.txt" --method ibp --out "$T/outdir/e.h5" && err_has "$T/bad.txt:2" &&
  ok "bad box file: 1, file:line"
printf '1 0\n0 1\n0 1\n' >"$T/rev.txt"
expect 1 "$NNHULL" bounds "$NET" --box "$T/rev.txt" --method ibp --out "$T/outdir/e.h5" && err_has "$T/rev.txt:1" &&
  ok "empty interval: 1, file:line"
printf '0 1\n0 1\n' >"$T/two.txt"
expect 1 "$NNHULL" bounds "$NET" --box "$T/two.txt" --method ibp --out "$T/outdir/e.h5" && err_has "$T/two.txt" &&
  err_has "3 inputs" && ok "box dimension mismatch: 1, named"
expect 1 "$NNHULL" bounds "$NET" --center 0,0 --eps 0.1 --method ibp --out "$T/outdir/e.h5" && err_has "3 inputs" &&
  ok "center dimension mismatch: 1"
expect 1 "$NNHULL" bounds "$NET" --center 5,5,5 --eps 0.1 --clip 0,1 --method ibp --out "$T/outdir/e.h5" &&
  err_has "--clip" && ok "region outside --clip: 1"
expect 1 "$NNHULL" report "$T/box.txt" && err_has "not an nnhull-bounds file" && ok "report on a text file: 1"
expect 1 "$NNHULL" report "$NET" && err_has "$NET" && ok "report on a network: 1"
expect 1 "$NNHULL" bounds "$NET" --center 0,0,0 --eps 0.1 --method ibp --engine-opts '{"x":1}' --out "$T/outdir/e.h5" &&
  err_has "engine options" && ok "engine options ibp does not know: 1"
[[ ! -e "$T/outdir/e.h5" ]] || fail "a failed run left $T/outdir/e.h5"

# ---- interrupted or impossible writes leave no final file ---------------------
expect 1 "$NNHULL" bounds "$NET" --box "$T/box.txt" --method ibp --out "$T/nodir/f.h5" && err_has "$T/nodir/f.h5" &&
  [[ ! -e "$T/nodir" ]] && ok "unwritable output directory: 1, nothing written"
mkdir -p "$T/outdir/g.h5/sub"   # the final name is a non-empty directory: the rename fails
expect 1 "$NNHULL" bounds "$NET" --box "$T/box.txt" --method ibp --out "$T/outdir/g.h5" && err_has "rename" &&
  ok "failed rename: 1"
# SIGTERM in the middle of a run (stopped under gdb while bounding layer 0;
# ibp runs through the same checkpointing driver as the other methods): the
# checkpoint existed, the run stops with exit 1 keeping it (no temporary or
# final file), and --resume finishes it to the file of an uninterrupted run
if command -v gdb >/dev/null 2>&1; then
  mkdir "$T/sig"
  timeout 120 gdb -q -batch -ex 'break nnh_bounds_ibp_layer' -ex run -ex "shell ls $T/sig > $T/sig.during" \
    -ex delete -ex 'signal SIGTERM' --args "$NNHULL" bounds "$NET" --box "$T/box.txt" --method ibp --out "$T/sig/k.h5" \
    >"$T/gdb.log" 2>&1 || true
  if grep -q '^k.partial.h5$' "$T/sig.during" 2>/dev/null; then
    grep -q 'exited with code 01' "$T/gdb.log" && grep -q 'holds 1 of 3 (region, layer) units; rerun with --resume' "$T/gdb.log" &&
      [[ "$(ls -A "$T/sig")" == k.partial.h5 ]] && ok "SIGTERM during a run: exit 1, only the checkpoint is left" ||
      fail "after SIGTERM: $(ls "$T/sig"); $(tail -3 "$T/gdb.log")"
    expect 0 "$NNHULL" bounds "$NET" --box "$T/box.txt" --method ibp --out "$T/sig/k.h5" --resume --stats &&
      out_has "3 units (1 resumed)" && [[ "$(ls -A "$T/sig")" == k.h5 ]] &&
      cmp <(h5dump -m %.17g -g /regions -g /layers "$T/sig/k.h5" | tail -n +2) \
          <(h5dump -m %.17g -g /regions -g /layers "$T/outdir/b.h5" | tail -n +2) &&
      ok "--resume finishes an interrupted ibp run to the same bounds" || fail "ibp --resume: $(ls "$T/sig")"
  else
    echo "skip: could not stop nnhull under gdb ($(tail -1 "$T/gdb.log"))"
  fi
else
  echo "skip: gdb absent (SIGTERM test)"
fi
left=$(find "$T" -name '*.tmp.*' | wc -l)
[[ $left -eq 0 ]] && ok "no *.tmp.* files left behind" || fail "$left temporary files left behind"

# ---- --spec (needs the VNNLIB reader) --------------------------------------------
if [[ -n "$DATA" && -f "$DATA/vnncomp2021_test/test_small.vnnlib" ]]; then
  rc=0
  "$NNHULL" bounds "$DATA/vnncomp2021_test/test_small.onnx" --spec "$DATA/vnncomp2021_test/test_small.vnnlib" \
    --method ibp --quiet --out "$T/outdir/s.h5" >"$T/out" 2>"$T/err" || rc=$?
  if [[ $rc -ne 0 ]] && grep -q "not built yet" "$T/err"; then
    echo "skip: --spec (VNNLIB reader not built yet)"
  elif [[ $rc -eq 0 ]]; then
    H="$T/outdir/s.h5"
    values() { h5dump -m '%.17g' -d "$1" -y -w 0 "$H" | sed -n '/DATA {/,/}/p' | tr -d 'DATA{}' | tr ',' '\n' | tr -d ' ' | grep -v '^$'; }
    # region x in [-1, 1]; exact output range [30.5, 78.5] (data README)
    [[ "$(values /regions/lower),$(values /regions/upper)" == "-1,1" ]] &&
      awk -v l="$(values /layers/2/pre_lower)" -v u="$(values /layers/2/pre_upper)" \
        'BEGIN { exit (l <= 30.5 && u >= 78.5 && l > 30 && u < 79) ? 0 : 1 }' &&
      h5dump -a /spec_path "$H" | has test_small.vnnlib && ok "--spec: region, bounds, spec_path" ||
      fail "--spec file content"
    expect 1 "$NNHULL" bounds "$NET" --spec "$DATA/vnncomp2021_test/test_small.vnnlib" --method ibp --out "$T/outdir/m.h5" &&
      err_has "test_small.vnnlib" && err_has "inputs" && ok "--spec dimension mismatch: 1, named"
    A="$DATA/acasxu"
    if [[ -f "$A/vnnlib/prop_6.vnnlib" && -f "$A/onnx/ACASXU_run2a_1_1_batch_2000.onnx" ]]; then
      # property 6: a disjunction of two input boxes -> R = 2 regions
      expect 0 "$NNHULL" bounds "$A/onnx/ACASXU_run2a_1_1_batch_2000.onnx" --spec "$A/vnnlib/prop_6.vnnlib" \
        --method ibp --quiet --out "$T/outdir/p6.h5" &&
        h5dump -H -d /regions/lower "$T/outdir/p6.h5" | has 'SIMPLE { ( 2, 5 )' &&
        h5dump -H -d /layers/6/pre_upper "$T/outdir/p6.h5" | has 'SIMPLE { ( 2, 5 )' &&
        ok "--spec with two boxes: R = 2 regions" || fail "ACAS Xu property 6: regions"
    fi
  else
    fail "--spec: exit $rc: $(cat "$T/err")"
  fi
else
  echo "skip: shared data absent (test_small.vnnlib)"
fi

it_finish it_cli
