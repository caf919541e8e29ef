# SPDX-License-Identifier: Apache-2.0
"""Deflicker: flickering per-frame renders made temporally stable by remapping neighbours.

>>> job = Deflicker(render_frames, plate_frames, options=DeflickerOptions(mode="fast"))
>>> job.run(lambda frame, result: write(frame, result.image))
"""

from __future__ import annotations

from synthfx.deflicker.blend import DeflickerResult, blend_remapped
from synthfx.deflicker.inputs import DeflickerInputs
from synthfx.deflicker.job import Deflicker, DeflickerSummary
from synthfx.deflicker.neighbours import frames_needed, neighbour_offsets, neighbours_of
from synthfx.deflicker.options import DEFLICKER_ENGINE_PARAMS, DeflickerOptions, Mode

__all__ = [
    "DEFLICKER_ENGINE_PARAMS",
    "Deflicker",
    "DeflickerInputs",
    "DeflickerOptions",
    "DeflickerResult",
    "DeflickerSummary",
    "Mode",
    "blend_remapped",
    "frames_needed",
    "neighbour_offsets",
    "neighbours_of",
]
