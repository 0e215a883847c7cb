#!/usr/bin/env bash
# First quickstart command: install what is missing, build, then run the main
# job on a bundled example: describe the network, bound every neuron over the
# L-infinity ball of radius 0.05 around the first test image with the
# multivariate-hull method, and summarise.
# Usage: scripts/quickstart.sh
#   NNH_QUICKSTART_METHOD=ibp|crown|lp1d|hull (default hull)
#   NNH_QUICKSTART_NET=F.onnx, NNH_QUICKSTART_INPUTS=F.csv (label,x...) or
#   NNH_QUICKSTART_CENTER=x1,x2,...  use another network / input
set -euo pipefail
cd "$(dirname "$0")/.."

NET=${NNH_QUICKSTART_NET:-examples/digits_sigmoid_64x10x10x10x10x10.onnx}
INPUTS=${NNH_QUICKSTART_INPUTS:-examples/digits_test_inputs.csv}
OUT=build/quickstart.h5
METHOD=${NNH_QUICKSTART_METHOD:-hull}

bash scripts/install-deps.sh
bash scripts/build.sh

if [[ ! -f "$NET" ]]; then
  echo "quickstart: $NET not found (examples are made by scripts/train-examples.py)" >&2
  exit 1
fi
if [[ -n "${NNH_QUICKSTART_CENTER:-}" ]]; then
  CENTER=$NNH_QUICKSTART_CENTER
else
  [[ -f "$INPUTS" ]] || { echo "quickstart: $INPUTS not found" >&2; exit 1; }
  # first test image (first line starting with a digit, after the header):
  # drop the label, keep the 64 pixel values in [0,1]
  CENTER=$(awk '/^[0-9]/ { sub(/^[^,]*,/, ""); print; exit }' "$INPUTS")
fi

echo "+ nnhull info $NET"
build/nnhull info "$NET"
echo
echo "+ nnhull bounds $NET --method $METHOD --center <first test input> --eps 0.05 --clip 0,1 --out $OUT"
build/nnhull bounds "$NET" --method "$METHOD" --center "$CENTER" --eps 0.05 --clip 0,1 --out "$OUT"
echo
echo "+ nnhull report $OUT"
build/nnhull report "$OUT"
echo
echo "quickstart: bounds written to $OUT (read it with h5dump or h5py)"
