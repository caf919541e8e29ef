# SPDX-License-Identifier: Apache-2.0
"""Blending the forward and reverse synthesis passes: selection by error, histogram-preserving
colour blend, screened Poisson gradient-domain reconstruction; or mixing passes and carried keys
by their source colour match (``source_match``). Float32 throughout."""

from __future__ import annotations

from synthfx.blend.combine import DEFAULT_SCREENING, blend_passes, blend_sequence, temporal_weights
from synthfx.blend.histogram import histogram_blend
from synthfx.blend.poisson import (
    divergence,
    forward_gradients,
    reconstruct_from_gradients,
    screened_poisson,
)
from synthfx.blend.select import select_passes, selection_mask

__all__ = [
    "DEFAULT_SCREENING",
    "blend_passes",
    "blend_sequence",
    "divergence",
    "forward_gradients",
    "histogram_blend",
    "reconstruct_from_gradients",
    "screened_poisson",
    "select_passes",
    "selection_mask",
    "temporal_weights",
]
