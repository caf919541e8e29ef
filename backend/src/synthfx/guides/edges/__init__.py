# SPDX-License-Identifier: Apache-2.0
"""Edge guides: classic high-pass, Phase Stretch Transform, PAGE; float32, never quantised."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from synthfx.errors import InputError
from synthfx.guides.edges.classic import classic_edges
from synthfx.guides.edges.page import page_edges, page_phase
from synthfx.guides.edges.pst import pst_edges, pst_phase

EdgeMethod = Literal["classic", "pst", "page"]

__all__ = [
    "EdgeMethod",
    "classic_edges",
    "edge_guide",
    "page_edges",
    "page_phase",
    "pst_edges",
    "pst_phase",
]


def edge_guide(image: np.ndarray, method: EdgeMethod = "classic", **opts: Any) -> np.ndarray:
    """Edge guide of an image.

    Args:
        image: (H, W) or (H, W, C) float image, RGB order.
        method: "classic" (:func:`classic_edges`), "pst" (:func:`pst_edges`) or "page"
            (:func:`page_edges`).
        **opts: keyword options of the chosen method.

    Returns:
        (H, W, C') float32; C' = 1 for classic and pst, direction_bins (default 10) for page.
    """
    builders: dict[str, Callable[..., np.ndarray]] = {
        "classic": classic_edges,
        "pst": pst_edges,
        "page": page_edges,
    }
    if method not in builders:
        raise InputError(f"edge method must be 'classic', 'pst' or 'page', got {method!r}")
    return builders[method](image, **opts)
