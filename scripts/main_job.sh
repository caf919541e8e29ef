#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The stylit example (public domain, from ../shared/data/ebsynth) through `synthfx imagesynth`:
# writes a float EXR, a PNG preview, the NNF and the error map.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
data=${SYNTHFX_SHARED:-../shared}/data/ebsynth/stylit
mkdir -p "$out"
args=(--style "$data/source_style.png")
for guide in fullgi dirdif dirspc indirb; do
  args+=(--guide "$data/source_$guide.png" "$data/target_$guide.png" --weight 0.5)
done
.venv/bin/synthfx imagesynth "${args[@]}" --out "$out/stylit.exr" --dtype float \
  --preview "$out/stylit.png" --nnf "$out/stylit_nnf.exr" --error "$out/stylit_error.exr"
