#!/usr/bin/env bash
# Create (or reuse) a virtual environment with every dependency of vtondata.
#
# usage: scripts/install.sh VENV_DIR
#
# The order matters: torch and torchvision first, from the pinned pair; then
# sam2 (an sdist) built against that torch without its CUDA extension and
# without build isolation (which would fetch a second torch); then the runtime
# and dev pins; then opencv-python-headless again with --force-reinstall
# --no-deps, because ultralytics, controlnet-aux and mediapipe each drop their
# own OpenCV build into `cv2`.
set -euo pipefail
venv="${1:?usage: scripts/install.sh VENV_DIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
pip="$venv/bin/python -m pip"
export PIP_NO_WARN_SCRIPT_LOCATION=1
$pip install --quiet --upgrade pip
$pip install --quiet torch==2.14.1 torchvision==0.29.1
$pip install --quiet setuptools==84.2.1 wheel
SAM2_BUILD_CUDA=0 $pip install --quiet --no-build-isolation sam2==1.1.0
$pip install --quiet -r "$root/requirements/runtime.txt" -r "$root/requirements/dev.txt"
cv2_pin="$(grep '^opencv-python-headless==' "$root/requirements/runtime.txt")"
$pip install --quiet --force-reinstall --no-deps "$cv2_pin"
