#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# One-command set-up on Debian/Ubuntu: system packages, a virtual environment in .venv with
# pinned Python packages, the native engine built, then the main job on bundled data.
#   ./setup.sh            install and run the main job (writes out/demo/)
#   ./setup.sh --no-demo  install only
set -euo pipefail
cd "$(dirname "$0")"

run_demo=1
for arg in "$@"; do
  case "$arg" in
    --no-demo) run_demo=0 ;;
    *) echo "usage: ./setup.sh [--no-demo]" >&2; exit 2 ;;
  esac
done

APT_PACKAGES=(build-essential python3-venv python3-dev git
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc patchelf
  libexpat1-dev   # libexpat1-dev: OpenFX HostSupport (tests/ofx/hostsupport)
  # MLT, which tests/python/ofx/test_mlt.py builds once from ../shared/third_party/mlt
  # (mlt-build.sh; glib: its openfx module)
  cmake ninja-build pkg-config libavformat-dev libswscale-dev libavfilter-dev libavutil-dev
  libswresample-dev libglib2.0-dev)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  cmd="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    echo "==> installing system packages: ${missing[*]}"
    sh -c "$cmd"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo "==> installing system packages with sudo: ${missing[*]}"
    sudo sh -c "$cmd"
  else
    echo "synthfx setup: missing system packages: ${missing[*]}" >&2
    echo "run as root: $cmd" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing Python packages (pinned in constraints.txt)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -c constraints.txt torch scikit-build-core nanobind ninja cmake grpcio-tools
# Dev step: the [dev] extra brings the test runner and make lint's checks (ruff, mypy with typing
# stubs, clang-format), [ray] the cluster's tests (--cluster, synthfx batch), pinned in
# constraints.txt.
echo "==> building the native engine and installing synthfx with its dev tools"
.venv/bin/python -m pip install -q -c constraints.txt --no-build-isolation -e ".[dev,ray]"

if ((run_demo)); then
  echo "==> main job"
  bash scripts/main_job.sh out/demo
fi
echo "==> done. Tests: make test; checks: make lint"
