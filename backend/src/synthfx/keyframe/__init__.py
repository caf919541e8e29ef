# SPDX-License-Identifier: Apache-2.0
"""Keyframes styled from reference paintings: guided patch synthesis (``patch``, offline, no
weights) or neural style transfer on VGG features (``gatys``, torch and VGG weights).

>>> result = make_keyframe(plate, [painting], options=KeyframeOptions(method="patch"))
>>> result.image  # (H, W, 3|4) float32, the plate's alpha kept

Nothing here imports torch until the gatys method runs.
"""

from __future__ import annotations

from synthfx.keyframe.colour import match_histogram, preserve_colour
from synthfx.keyframe.job import KeyframeResult, check_method, make_keyframe
from synthfx.keyframe.layers import layer_index, vgg_layers
from synthfx.keyframe.options import KEYFRAME_ENGINE_PARAMS, KeyframeOptions
from synthfx.keyframe.patch import blend_references, patch_guides, patch_keyframe

__all__ = [
    "KEYFRAME_ENGINE_PARAMS",
    "KeyframeOptions",
    "KeyframeResult",
    "blend_references",
    "check_method",
    "layer_index",
    "make_keyframe",
    "match_histogram",
    "patch_guides",
    "patch_keyframe",
    "preserve_colour",
    "vgg_layers",
]
