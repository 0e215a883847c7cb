#!/bin/bash
# Bounded coverage-guided fuzzing of every reader (issue 15): builds the
# libFuzzer harnesses of tests/fuzz/ with clang, ASan and UBSan in a build
# directory of their own (the normal build stays gcc), then runs each one
# first on its seed corpus tests/fuzz/corpus/<reader>/ (seeds from tests/data
# and examples, crafted files, and every earlier finding as a regression
# file), then for NNH_FUZZ_SECONDS (default 20) of mutations with a fixed
# seed (NNH_FUZZ_SEED, default 1). Any crash, leak, undefined behaviour,
# 10 s hang or 2 GB allocation fails the test and leaves the input in
# $NNH_BINARY_DIR/fuzz-artifacts/. Skipped (77) without clang or libFuzzer.
# Long runs: scripts/fuzz READER [SECONDS].
set -euo pipefail
SRC=${NNH_SOURCE_DIR:?}
BIN=${NNH_BINARY_DIR:?}
SECONDS_EACH=${NNH_FUZZ_SECONDS:-20}
SEED=${NNH_FUZZ_SEED:-1}
command -v clang >/dev/null || { echo "clang not found: skipped"; exit 77; }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' >"$T/probe.c"
clang -fsanitize=fuzzer,address,undefined "$T/probe.c" -o "$T/probe" 2>/dev/null ||
    { echo "clang cannot build a libFuzzer target (libclang-rt missing?): skipped"; exit 77; }

FB=$BIN/fuzz-build
ART=$BIN/fuzz-artifacts
mkdir -p "$ART"
echo "== building the harnesses in $FB"
cmake -S "$SRC" -B "$FB" -DCMAKE_C_COMPILER=clang -DNNH_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$T/configure.log" 2>&1 || { cat "$T/configure.log"; exit 1; }
cmake --build "$FB" --target fuzz_all -j2 >"$T/build.log" 2>&1 || { tail -40 "$T/build.log"; exit 1; }

# Readers with a known open finding, reported but not failing the test
# (none now: the h5 hang on variable-length strings is gone with format 2,
# and its reproducer is a regression file in corpus/h5/).
KNOWN_OPEN=${NNH_FUZZ_KNOWN_OPEN-}

fails=0
for reader in onnx nnet vnnlib h5 envelope; do
    mkdir -p "$T/work_$reader"
    set +e
    (cd "$T" && TMPDIR=$T "$FB/fuzz_$reader" -max_total_time="$SECONDS_EACH" -seed="$SEED" \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$ART/$reader-" -print_final_stats=1 \
        "$T/work_$reader" "$SRC/tests/fuzz/corpus/$reader" >"$T/$reader.log" 2>&1)
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T/$reader.log")
    seeds=$(ls "$SRC/tests/fuzz/corpus/$reader" | wc -l)
    echo "  $reader: exit $rc, ${runs:-?} inputs in ${SECONDS_EACH} s ($seeds seed files)"
    if [ $rc != 0 ] && [[ " $KNOWN_OPEN " == *" $reader "* ]]; then
        echo "  KNOWN OPEN: fuzz_$reader found a problem (see KNOWN_OPEN in this script):"
        grep -E "ERROR|SUMMARY|Test unit written" "$T/$reader.log" | head -5
    elif [ $rc != 0 ]; then
        fails=$((fails + 1))
        echo "FAIL: fuzz_$reader found a problem (input saved under $ART/):"
        grep -E "ERROR|runtime error|SUMMARY|Test unit written|#[0-9]+ .* in [a-z_]*nnh|  #[0-9] " \
            "$T/$reader.log" | head -30
    fi
done
[ $fails = 0 ] || { echo "$fails harness(es) with findings"; exit 1; }
echo "all passed"
