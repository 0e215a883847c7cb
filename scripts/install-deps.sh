#!/usr/bin/env bash
# Install the Debian packages nnhull needs to build and test (idempotent:
# runs apt-get only when something is missing). Usage: scripts/install-deps.sh [--dev]
#   --dev  also the Python packages used by developer tools (train-examples.py, plots)
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libopenmpi-dev openmpi-bin
      libglpk-dev glpk-utils
      libhdf5-openmpi-dev hdf5-tools
      check libsubunit-dev
      libprotobuf-c-dev protobuf-c-compiler libonnx-dev
      libcjson-dev
      valgrind python3 python3-matplotlib
      clang libclang-rt-dev)
if [[ "${1:-}" == "--dev" ]]; then
  PKGS+=(python3 python3-numpy python3-torch python3-sklearn python3-onnx python3-h5py)
elif [[ -n "${1:-}" ]]; then
  echo "usage: $0 [--dev]" >&2; exit 2
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
