# SPDX-License-Identifier: Apache-2.0
"""Guides for example-based video stylization: float32 in, float32 out, never quantised.

Each guide is a pair of images, the source one aligned with the style exemplar and the target one
with the frame to synthesise; :class:`GuideSet` assembles them into the engine's
``(source, target, weight)`` triples.
"""

from __future__ import annotations

from synthfx.guides.edges import EdgeMethod, edge_guide
from synthfx.guides.guide_set import Guide, GuideSet, GuideTriple
from synthfx.guides.image import image_guide
from synthfx.guides.mask import feather_mask, mask_guide
from synthfx.guides.positional import advect_positions, positional_grid
from synthfx.guides.temporal import warp_previous_style
from synthfx.guides.weights import EDGE_WEIGHT, IMAGE_WEIGHT, POSITIONAL_WEIGHT, TEMPORAL_WEIGHT

__all__ = [
    "EDGE_WEIGHT",
    "IMAGE_WEIGHT",
    "POSITIONAL_WEIGHT",
    "TEMPORAL_WEIGHT",
    "EdgeMethod",
    "Guide",
    "GuideSet",
    "GuideTriple",
    "advect_positions",
    "edge_guide",
    "feather_mask",
    "image_guide",
    "mask_guide",
    "positional_grid",
    "warp_previous_style",
]
