#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: stylize the bundled Big Buck Bunny excerpt (24 frames, 320x180) from three
# painterly keyframes. Writes float EXR frames, preview.gif and contact_sheet.png to OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/demo}
.venv/bin/synthfx demo --out "$out"
