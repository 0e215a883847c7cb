#!/bin/bash
# Integration tests of `nnhull campaign`: a small list on tests/data/tiny_mlp.onnx
# with known verdicts (unsat, sat, a disjunction) and failing instances (missing
# network, shape mismatch, malformed VNNLIB: one `error` row each, the campaign
# goes on); results.csv, cex/ (re-checked by scripts/cex-check.py), usage
# errors, results.h5, the schedule (longest expected first), --filter, the same
# verdicts under `mpirun -np 2`, and --resume after
# kill -9 of the launcher mid-campaign (serial and under mpirun) giving the
# verdicts of an uninterrupted run with one row per instance.
set -euo pipefail
. "$NNH_SOURCE_DIR/tests/common/it_lib.sh"
PY=python3
/usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null && PY=/usr/bin/python3
KILLED=()
cleanup() {
    for p in "${KILLED[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
it_mpi

expect_rc() {
    local want=$1; shift
    set +e
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    set -e
    [ "$rc" = "$want" ] || fail "exit $rc (want $want): $* :: $(head -c 300 "$T/err")"
}

# verdicts DIR: "onnx,vnnlib,result" lines, sorted (times and ranks dropped)
verdicts() { tail -n +2 "$1/results.csv" | cut -d, -f1-3 | sort; }

mkdir -p "$T/c/nets" "$T/c/props"
cp "$SRC/tests/data/tiny_mlp.onnx" "$T/c/nets/"
NET=$T/c/nets/tiny_mlp.onnx
decl='(declare-const X_0 Real)(declare-const X_1 Real)(declare-const X_2 Real)
(declare-const Y_0 Real)(declare-const Y_1 Real)
(assert (>= X_0 -1))(assert (<= X_0 1))(assert (>= X_1 -1))(assert (<= X_1 1))
(assert (>= X_2 -1))(assert (<= X_2 1))'
y0=$("$N" eval "$NET" 0,0,0 | cut -d, -f1)
# 1000 is out of reach of tiny_mlp's outputs; y0 is reached at the origin
printf '%s\n(assert (>= Y_0 1000))\n' "$decl" >"$T/c/props/unsat.vnnlib"
printf '%s\n(assert (>= Y_0 %s))\n' "$decl" "$y0" >"$T/c/props/sat.vnnlib"
printf '%s\n(assert (or (>= Y_0 1000) (and (<= Y_1 1000) (>= Y_0 %s))))\n' "$decl" "$y0" \
    >"$T/c/props/or.vnnlib"
printf '(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= Y_0 0))\n' >"$T/c/props/shape.vnnlib"
printf '(declare-const X_0 Real\n' >"$T/c/props/broken.vnnlib"
cat >"$T/c/list.csv" <<CSV
onnx,vnnlib,timeout_s
nets/tiny_mlp.onnx,props/unsat.vnnlib,30
nets/tiny_mlp.onnx,props/sat.vnnlib,30
nets/missing.onnx,props/sat.vnnlib,30
nets/tiny_mlp.onnx,props/or.vnnlib,30
nets/tiny_mlp.onnx,props/shape.vnnlib,30
$T/c/nets/tiny_mlp.onnx,props/broken.vnnlib,30
CSV
cat >"$T/want" <<W
$T/c/nets/tiny_mlp.onnx,props/broken.vnnlib,error
nets/missing.onnx,props/sat.vnnlib,error
nets/tiny_mlp.onnx,props/or.vnnlib,sat
nets/tiny_mlp.onnx,props/sat.vnnlib,sat
nets/tiny_mlp.onnx,props/shape.vnnlib,error
nets/tiny_mlp.onnx,props/unsat.vnnlib,unsat
W
sort -o "$T/want" "$T/want"

echo "== usage"
expect_rc 0 "$N" campaign --help
grep -q "results.csv" "$T/out" && grep -q "results.h5" "$T/out" || fail "--help does not describe the files"
grep -q "campaign" <("$N" --help) || fail "nnhull --help does not list campaign"
expect_rc 2 "$N" campaign "$T/c/list.csv"
expect_rc 2 "$N" campaign "$T/c/list.csv" --out "$T/o" --filter '('
expect_rc 2 "$N" campaign "$T/c/list.csv" --out "$T/o" --timeout-scale 0
expect_rc 2 "$N" campaign "$T/c/list.csv" --out "$T/o" --method simplex
expect_rc 2 "$N" campaign "$T/c/list.csv" --out "$T/o" --split neurons
grep -q -- "--split needs input, activation or auto, got 'neurons'" "$T/err" || fail "--split message: $(cat "$T/err")"
expect_rc 2 "$N" campaign "$T/c/list.csv" --out "$T/o" --tighten always
expect_rc 2 "$N" campaign "$T/c/list.csv" --out "$T/o" --tighten-opts '{"time_limit": 5}'
expect_rc 2 "$N" campaign "$T/c/list.csv" --out "$T/o" --tighten-fraction 0
grep -q -- "--tighten-fraction needs a number in (0, 1], got '0'" "$T/err" ||
    fail "--tighten-fraction message: $(cat "$T/err")"
expect_rc 1 "$N" campaign "$T/c/nonexistent.csv" --out "$T/o"
printf 'a,b\n' >"$T/bad.csv"
expect_rc 1 "$N" campaign "$T/bad.csv" --out "$T/o"

echo "== serial"
expect_rc 0 "$N" campaign "$T/c/list.csv" --out "$T/s"
head -n 1 "$T/s/results.csv" | has -x 'onnx,vnnlib,result,seconds,regions,rank_seconds,rank' ||
    fail "results.csv header: $(head -n 1 "$T/s/results.csv")"
verdicts "$T/s" | diff "$T/want" - || fail "serial verdicts differ from the known ones"
awk -F, 'NR > 1 && NF != 7 { bad = 1 } END { exit bad }' "$T/s/results.csv" || fail "a row without 7 fields"
grep -q "6 instances: sat 2, unsat 1, timeout 0, unknown 0, error 3" "$T/out" ||
    fail "summary line: $(cat "$T/out")"
grep -q "campaign: 6/6 done" "$T/err" || fail "no progress line 6/6 on stderr"
grep -q "missing.onnx" "$T/err" || fail "the error row's reason is not on stderr"
ls "$T/s/cex" | sort >"$T/cexs"
printf '%s\n' nets_tiny_mlp-props_or.counterexample nets_tiny_mlp-props_sat.counterexample |
    diff - "$T/cexs" || fail "cex/ should hold the two sat counterexamples"
for p in sat or; do
    f=$T/s/cex/nets_tiny_mlp-props_$p.counterexample
    head -n 1 "$f" | has -x '(' || fail "$f: not in VNN-COMP format"
    $PY "$SRC/scripts/cex-check.py" "$NET" "$T/c/props/$p.vnnlib" "$f" --nnhull "$N" >"$T/chk" 2>&1 ||
        fail "counterexample of $p does not reproduce: $(cat "$T/chk")"
done
# the verify modes pass through (same verdicts, recorded in the options)
expect_rc 0 "$N" campaign "$T/c/list.csv" --out "$T/sa" --split activation --tighten lp1d \
    --tighten-fraction 0.5 --tighten-opts '{"max_rounds": 2}'
verdicts "$T/sa" | diff "$T/want" - || fail "verdicts with --split activation --tighten lp1d differ"
if command -v h5dump >/dev/null; then
    h5dump -a /options "$T/sa/results.h5" |
        grep -qF '"split":"activation","tighten":"lp1d","tighten_fraction":0.5,"tighten_opts":{"method": "lp1d", "max_rounds": 2,' ||
        fail "results.h5 options lack split/tighten: $(h5dump -a /options "$T/sa/results.h5")"
fi

if command -v h5dump >/dev/null; then
    echo "== results.h5"
    h5dump -a /format "$T/s/results.h5" | has '"nnhull-campaign"' || fail "results.h5: format"
    h5dump -a /options "$T/s/results.h5" | has '"method":"crown"' || fail "results.h5: options"
    h5dump -d /instances/result "$T/s/results.h5" | has 'STRPAD H5T_STR_NULLTERM' ||
        fail "results.h5: strings are not fixed-length"
    h5dump -d /instances/result "$T/s/results.h5" | has '"unsat", "sat", "error", "sat", "error",' ||
        fail "results.h5: results in list order: $(h5dump -d /instances/result "$T/s/results.h5" | grep '(0)')"
    sha=$(sha256sum "$NET" | cut -d' ' -f1)
    h5dump -d /instances/network_sha256 "$T/s/results.h5" | has "(0): \"$sha\"" ||
        fail "results.h5: network SHA-256 is not the file's"
else
    echo "h5dump not found: results.h5 not checked"
fi

echo "== schedule: longest first by an earlier results.csv, else by timeout"
mkdir -p "$T/o"
cat >"$T/o/results.csv" <<R
onnx,vnnlib,result,seconds,regions,rank_seconds,rank
nets/tiny_mlp.onnx,props/unsat.vnnlib,unsat,1.5,3,1.5,0
nets/tiny_mlp.onnx,props/or.vnnlib,sat,9.25,1,9.25,0
nets/tiny_mlp.onnx,props/sat.vnnlib,sat,4.0,1,4.0,0
R
printf 'nets/tiny_mlp.onnx,props/unsat.vnnlib,5\nnets/tiny_mlp.onnx,props/sat.vnnlib,5\nnets/tiny_mlp.onnx,props/or.vnnlib,5\nnets/missing.onnx,props/sat.vnnlib,7\n' >"$T/order.csv"
expect_rc 0 "$N" campaign "$T/order.csv" --out "$T/o"
# no earlier time for missing.onnx: its timeout (7) counts
sed -n 's/^campaign: [0-9]*\/4 done .*: \([^ ]*\) \([^ ]*\) [a-z]*$/\1 \2/p' "$T/err" >"$T/order"
printf '%s\n' "nets/tiny_mlp.onnx props/or.vnnlib" "nets/missing.onnx props/sat.vnnlib" \
    "nets/tiny_mlp.onnx props/sat.vnnlib" "nets/tiny_mlp.onnx props/unsat.vnnlib" |
    diff - "$T/order" || fail "instances not run longest-expected first"
[ "$(tail -n +2 "$T/o/results.csv" | wc -l)" = 4 ] || fail "without --resume the earlier rows stay"

echo "== --filter"
expect_rc 0 "$N" campaign "$T/c/list.csv" --out "$T/f" --filter 'tiny_mlp.onnx,props/(un)?sat'
verdicts "$T/f" | diff - <(grep -E 'tiny_mlp.onnx,props/(un)?sat' "$T/want") ||
    fail "--filter ran other instances"

# a list of many small instances (distinct properties, alternately sat and
# unsat) that takes long enough to be killed in the middle
mkdir -p "$T/c/many"
echo "onnx,vnnlib,timeout_s" >"$T/c/many.csv"
for i in $(seq 1 400); do
    if [ $((i % 2)) = 0 ]; then t=unsat; else t=sat; fi
    cp "$T/c/props/$t.vnnlib" "$T/c/many/p$i.vnnlib"
    echo "nets/tiny_mlp.onnx,many/p$i.vnnlib,30" >>"$T/c/many.csv"
done
expect_rc 0 "$N" campaign "$T/c/many.csv" --out "$T/ref" --quiet
[ "$(verdicts "$T/ref" | grep -c ',unsat$')" = 200 ] || fail "reference run: not 200 unsat"
[ "$(verdicts "$T/ref" | grep -c ',sat$')" = 200 ] || fail "reference run: not 200 sat"

# resume_after_kill NAME LAUNCHER...: start, kill -9 the launcher once some
# rows are in (with every process it started), then --resume to the end
resume_after_kill() {
    local name=$1 out=$T/$1; shift
    "$@" "$N" campaign "$T/c/many.csv" --out "$out" --quiet >/dev/null 2>&1 &
    local pid=$! i rows=0
    for i in $(seq 1 500); do
        rows=$( (wc -l <"$out/results.csv") 2>/dev/null || echo 0)
        [ "$rows" -ge 20 ] && break
        sleep 0.02
    done
    local kids
    kids=$(pgrep -P "$pid" || true)
    for k in $kids; do kids="$kids $(pgrep -P "$k" || true)"; done
    KILLED+=($kids)
    # the launcher and its ranks at once, as a batch system's kill would
    kill -9 "$pid" $kids 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rows=$(($(wc -l <"$out/results.csv") - 1))
    echo "  $name: killed after $rows of 400 rows"
    [ "$rows" -lt 400 ] || fail "$name: the campaign ended before the kill (cannot test --resume)"
    cp "$out/results.csv" "$T/$name.before"
    expect_rc 0 "$@" "$N" campaign "$T/c/many.csv" --out "$out" --resume
    grep -q "campaign: 400 instances ($((400 - rows)) to run, $rows kept)" "$T/err" ||
        fail "$name: --resume did not keep the $rows rows: $(head -n 2 "$T/err")"
    verdicts "$out" | diff -q <(verdicts "$T/ref") - >/dev/null ||
        fail "$name: verdicts after --resume differ from the uninterrupted run"
    [ "$(tail -n +2 "$out/results.csv" | cut -d, -f1,2 | sort -u | wc -l)" = 400 ] ||
        fail "$name: not one row per instance"
    [ "$(tail -n +2 "$out/results.csv" | wc -l)" = 400 ] || fail "$name: rows repeated"
    grep -q "^400 instances: sat 200, unsat 200," "$T/out" ||
        fail "$name: the summary does not count the kept rows: $(cat "$T/out")"
    if command -v h5dump >/dev/null; then
        h5dump -H -d /instances/result "$out/results.h5" | has 'SIMPLE { ( 400 )' ||
            fail "$name: results.h5 does not hold the 400 rows"
    fi
    # the rows kept are the rows written before the kill
    head -n $((rows + 1)) "$out/results.csv" | diff -q "$T/$name.before" - >/dev/null ||
        fail "$name: rows written before the kill were not kept as they were"
}

echo "== --resume after kill -9 (serial)"
resume_after_kill serial

if command -v mpirun >/dev/null; then
    echo "== mpirun -np 2"
    MPI=(timeout 300 mpirun -np 2 --oversubscribe)
    expect_rc 0 "${MPI[@]}" "$N" campaign "$T/c/list.csv" --out "$T/m"
    verdicts "$T/m" | diff "$T/want" - || fail "verdicts at -np 2 differ from the known ones"
    cut -d, -f7 "$T/m/results.csv" | has -x 1 || fail "-np 2: rank 1 decided no instance"
    [ "$(grep -c 'campaign: 2 ranks' "$T/err" || true)" = 0 ] || true
    grep -q "2 ranks" "$T/err" || fail "-np 2: the start line does not say 2 ranks"
    [ "$(grep -c "missing.onnx" "$T/err")" -ge 1 ] || fail "-np 2: no reason for the error row"
    expect_rc 0 "${MPI[@]}" "$N" campaign "$T/c/many.csv" --out "$T/m2" --quiet
    verdicts "$T/m2" | diff -q <(verdicts "$T/ref") - >/dev/null ||
        fail "-np 2: verdicts differ from the serial run"
    expect_rc 2 "${MPI[@]}" "$N" campaign "$T/c/list.csv"
    echo "== --resume after kill -9 of mpirun"
    resume_after_kill mpi mpirun -np 2 --oversubscribe
    A=${NNH_SHARED_DATA_DIR:-$SRC/../shared/data}/acasxu
    if [ -f "$A/onnx/ACASXU_run2a_1_1_batch_2000.onnx" ]; then
        echo "== a hard instance gets the idle rank (ACAS Xu 1_1 prop_2, shared data)"
        # the hard one first (largest timeout) goes to rank 1; rank 0 runs the
        # quick one (a sixth of the hard one's time), then has no whole
        # instance left and helps rank 1 for the rest
        printf 'onnx,vnnlib,timeout_s\n%s\n%s\n' \
            "$A/onnx/ACASXU_run2a_1_1_batch_2000.onnx,$A/vnnlib/prop_1.vnnlib,30" \
            "$A/onnx/ACASXU_run2a_1_1_batch_2000.onnx,$A/vnnlib/prop_2.vnnlib,200" >"$T/c/hard.csv"
        expect_rc 0 "${MPI[@]}" "$N" campaign "$T/c/hard.csv" --out "$T/h"
        [ "$(tail -n +2 "$T/h/results.csv" | cut -d, -f3 | sort | uniq -c | tr -s ' ')" = " 2 unsat" ] ||
            fail "helped campaign: want 2 unsat (the known verdicts): $(cat "$T/h/results.csv")"
        awk -F, '$2 ~ /prop_2/ && $6 > 1.2 * $4 { ok = 1 } END { exit !ok }' "$T/h/results.csv" ||
            fail "prop_2 got no helper (rank_seconds not above its seconds): $(cat "$T/h/results.csv")"
        grep -q "prop_2.vnnlib,unsat,.*,1$" "$T/h/results.csv" || fail "prop_2 not owned by rank 1"
        if command -v h5dump >/dev/null; then
            rs=$(awk -F, '$2 ~ /prop_2/ { printf "%.3f", $6 }' "$T/h/results.csv")
            h5dump -d /instances/rank_seconds "$T/h/results.h5" | tr -s ' ,():' '\n' |
                awk -v r="$rs" '$1 + 0 > 0 && ($1 - r) ^ 2 < 1e-6 { ok = 1 } END { exit !ok }' ||
                fail "results.h5 rank_seconds does not hold prop_2's $rs"
        fi
    else
        echo "shared ACAS Xu data not found: helper case skipped"
    fi
else
    echo "mpirun not found: MPI cases skipped"
fi

it_finish it_campaign
