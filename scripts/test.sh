#!/usr/bin/env bash
# Second quickstart command: install what is missing, build, run every test.
# Usage: scripts/test.sh [ctest args...]   (e.g. -R onnx to run a subset)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
