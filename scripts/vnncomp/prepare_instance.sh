#!/bin/bash
# VNN-COMP hook: prepare_instance.sh VERSION CATEGORY ONNX VNNLIB
# Checks that nnhull can read the network and the property (nothing to
# precompile); exit 0 when the instance can be run, non-zero otherwise.
set -euo pipefail
if [ $# -ne 4 ]; then
    echo "usage: $0 v1 CATEGORY ONNX VNNLIB" >&2
    exit 2
fi
VERSION=$1; CATEGORY=$2; ONNX=$3; VNNLIB=$4
if [ "$VERSION" != "v1" ]; then
    echo "$0: expected version string v1, got $VERSION" >&2
    exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)
NNHULL=${NNHULL:-$HERE/../../build/nnhull}
echo "nnhull prepare: category $CATEGORY, $ONNX, $VNNLIB"
# VNN-COMP ships some files gzipped; nnhull reads plain files
for f in "$ONNX" "$VNNLIB"; do
    if [ ! -f "$f" ] && [ -f "$f.gz" ]; then gunzip -k "$f.gz"; fi
done
"$NNHULL" info "$ONNX" >/dev/null
# parse the property with a run that decides nothing (0 regions)
"$NNHULL" verify "$ONNX" "$VNNLIB" --max-regions 1 --timeout 1 --quiet >/dev/null
