#!/usr/bin/env bash
# Integration test of `nnhull bounds` with the engines: the methods, the
# engine options (--rounds ... --time-limit, --engine-opts), progress on
# stderr for every method (one line per layer when stderr is not a terminal,
# silenced by --quiet), per-layer stats in the HDF5 file, and nesting of the
# output bounds crown within ibp, hull within crown (read back with h5dump).
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
command -v h5dump >/dev/null || { echo "h5dump not found"; exit 77; }
NET="$NNH_SOURCE_DIR/examples/digits_tanh_64x10x10x10x10x10.onnx"
CENTER="$(sed -n 2p "$NNH_SOURCE_DIR/examples/digits_test_inputs.csv" | cut -d, -f2-)"
bounds() { "$NNHULL" bounds "$NET" --center "$CENTER" --eps 0.05 --clip 0,1 "$@"; }

# exit status $1 of the rest; stdout/stderr in $T/out, $T/err
expect() {
  local want=$1; shift
  local rc=0
  "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
  [[ $rc -eq $want ]] || { fail "exit $rc (want $want): $* :: $(head -c 300 "$T/err")"; return 1; }
}

# one dataset of an HDF5 file as numbers, one per line
values() { h5dump -m '%.17g' -d "$2" -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | tr -c '0-9eE.+\n-' ' ' |
           tr ' ' '\n' | grep -E '^[-+]?[0-9.]' ; }

expect 0 "$NNHULL" bounds --help && for w in crown lp1d hull --rounds --cuts-per-round \
  --cut-tol --lp-time-limit --time-limit; do
  grep -qF -- "$w" "$T/out" || fail "bounds --help lacks $w"
done && ok "help lists the engines and their options"

for m in ibp crown hull; do
  expect 0 bounds --method "$m" --out "$T/$m.h5" || continue
  # every method runs through the same driver: the same progress and summary
  n=$(grep -c '^layer [0-9]* (0\.\.4): ' "$T/err" || true)
  [[ $n -eq 5 ]] || fail "$m: $n progress lines on a non-terminal stderr (want 5): $(head -c 300 "$T/err")"
  grep -q $'\r' "$T/err" && fail "$m: carriage return on a non-terminal stderr"
  grep -q "^wrote $T/$m.h5: 1 region, 5 layers, 1 rank, status complete" "$T/out" ||
    fail "$m: no summary line: $(tail -c 300 "$T/out")"
  ok "$m runs"
done

expect 0 bounds --method crown --quiet --out "$T/q.h5" &&
  { [[ ! -s $T/out && ! -s $T/err ]] && ok "--quiet is silent" || fail "--quiet printed something"; }

# output bounds nest: crown within ibp, hull within crown (tolerance 1e-9)
nest() { # inner outer dataset sense(lo|hi)
  paste <(values "$T/$1.h5" "$3") <(values "$T/$2.h5" "$3") |
    awk -v s="$4" '{ if ((s == "lo" && $1 < $2 - 1e-9) || (s == "hi" && $1 > $2 + 1e-9)) bad++ }
                   END { exit (NR == 10 && !bad) ? 0 : 1 }'
}
if [[ -f $T/ibp.h5 && -f $T/crown.h5 && -f $T/hull.h5 ]]; then
  nest crown ibp /layers/4/pre_lower lo && nest crown ibp /layers/4/pre_upper hi &&
    nest hull crown /layers/4/pre_lower lo && nest hull crown /layers/4/pre_upper hi &&
    ok "output bounds nest (hull in crown in ibp)" || fail "output bounds do not nest"
  solves=$(values "$T/hull.h5" /stats/lp_solves | awk '{s += $1} END {print s + 0}')
  [[ $solves -ge 80 ]] && ok "hull stats: $solves LP solves" || fail "hull: /stats/lp_solves sums to $solves"
fi

# options reach the engine (provenance) and bad ones are refused
expect 0 bounds --method hull --rounds 2 --cuts-per-round 7 --cut-tol 1e-5 --lp-time-limit 3 \
  --time-limit 100 --quiet --out "$T/o.h5" &&
  h5dump -a /options "$T/o.h5" | has -F '"engine_options":{"max_rounds":2,"max_cuts_per_round":7,"cut_tol":1e-05,"lp_time_limit":3,"time_limit":100}' &&
  ok "options recorded" || fail "options not recorded: $(h5dump -a /options "$T/o.h5" 2>&1 | grep -o 'engine_options[^}]*}')"
expect 0 bounds --method lp1d --time-limit 1e-9 --quiet --out "$T/t.h5" &&
  fb=$(values "$T/t.h5" /stats/fallbacks | awk '{s += $1} END {print s + 0}') &&
  { [[ $fb -eq 80 ]] && ok "time limit: 80 fallbacks" || fail "time limit: $fb fallbacks (want 80)"; }
expect 2 bounds --method hull --rounds 1.5 --out "$T/x.h5" && grep -qF -- "--rounds" "$T/err" && ok "--rounds 1.5 refused"
expect 2 bounds --method hull --cut-tol -1 --out "$T/x.h5" && ok "--cut-tol -1 refused"
expect 1 bounds --method crown --rounds 3 --out "$T/x.h5" && grep -qF "crown" "$T/err" && ok "crown refuses LP options"
expect 1 bounds --method lp1d --engine-opts '{"bogus": 1}' --out "$T/x.h5" && grep -qF "bogus" "$T/err" && ok "unknown engine option refused"
[[ ! -e $T/x.h5 ]] || fail "a refused run left $T/x.h5"

# the depth profile on a deep net (../shared/data when present): applied and
# recorded when no depth option is given, not when one is (--time-limit
# 1e-9: the LPs are not run, the options are what is checked)
E="${NNH_SHARED_DATA_DIR:-}/vnncomp2021_eran"
if [[ -f $E/nets/ffnnSIGMOID__Point_6x200.onnx ]]; then
  deep() { "$NNHULL" bounds "$E/nets/ffnnSIGMOID__Point_6x200.onnx" \
             --spec "$E/specs/mnist/mnist_spec_idx_7167_eps_0.01200.vnnlib" --method lp1d \
             --time-limit 1e-9 "$@"; }
  expect 0 deep --out "$T/d.h5" && grep -qF "depth profile" "$T/err" &&
    h5dump -a /options "$T/d.h5" | has -F '"max_rounds":3,"window":1,"task_iter_limit":1000,"long_step":1,"min_gain":0.001,"output_window":5,"output_iter_limit":10000,"wide_fraction":0.15,"wide_window":2,"wide_score":1,"wide_input":1}' &&
    ok "deep net: depth profile applied and recorded" || fail "deep net: no depth profile"
  expect 0 deep --window 0 --out "$T/d0.h5" && grep -qF "the depth profile is off" "$T/err" &&
    ! grep -qF "depth profile for" "$T/err" &&
    h5dump -a /options "$T/d0.h5" | has -F '"engine_options":{"time_limit":1e-09,"window":0}' &&
    ok "deep net: --window 0 keeps the whole prefix" || fail "deep net: --window 0 overridden"
else
  echo "skip: deep-net profile check ($E absent)"
fi

it_finish it_bounds_engines
