#!/usr/bin/env bash
# Runs the readers' Check tests (ONNX incl. convolutions, .nnet, VNNLIB) under valgrind without
# forking, so every invalid access or leak in a reader fails this test.
# A listed test binary that is missing is a failure, not a skip.
set -euo pipefail
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind is not installed"
    exit 77
fi
dir="${NNH_BINARY_DIR:?NNH_BINARY_DIR is not set}"
status=0
for t in test_onnx test_onnx_conv test_nnet test_vnnlib; do
    bin="$dir/$t"
    if [ ! -x "$bin" ]; then
        echo "FAIL: $bin has not been built"
        status=1
        continue
    fi
    echo "== valgrind $t"
    if ! CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full "$bin"; then
        echo "FAIL: $t under valgrind"
        status=1
    fi
done
exit "$status"
