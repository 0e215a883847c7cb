#!/usr/bin/env bash
# Runs the readers' Check tests (ONNX incl. convolutions, .nnet, VNNLIB, HDF5 bound files and
# damaged bound files: every 61st byte) under valgrind without forking, so
# every invalid access or leak in a reader fails this test. Leaks of memory
# that libhdf5 allocated itself are suppressed (tests/valgrind-hdf5.supp:
# libhdf5 1.10.8 leaks on a damaged file). A listed test binary that is
# missing is a failure, not a skip.
set -euo pipefail
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind is not installed"
    exit 77
fi
dir="${NNH_BINARY_DIR:?NNH_BINARY_DIR is not set}"
status=0
supp="$(dirname "$0")/valgrind-hdf5.supp"
for t in test_onnx test_onnx_conv test_nnet test_vnnlib test_h5bounds test_h5damage; do
    bin="$dir/$t"
    if [ ! -x "$bin" ]; then
        echo "FAIL: $bin has not been built"
        status=1
        continue
    fi
    echo "== valgrind $t"
    if ! NNH_DAMAGE_STRIDE=61 CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full \
        --suppressions="$supp" "$bin"; then
        echo "FAIL: $t under valgrind"
        status=1
    fi
done
exit "$status"
