#!/usr/bin/env bash
# Runs the ONNX reader's Check tests (tests/test_onnx.c) under valgrind without
# forking, so every invalid access or leak in the reader fails this test.
set -u
if ! command -v valgrind >/dev/null 2>&1; then
    echo "SKIP: valgrind is not installed"
    exit 77
fi
bin="${NNH_BINARY_DIR:?NNH_BINARY_DIR is not set}/test_onnx"
if [ ! -x "$bin" ]; then
    echo "FAIL: $bin has not been built"
    exit 1
fi
CK_FORK=no exec valgrind -q --error-exitcode=1 --leak-check=full "$bin"
