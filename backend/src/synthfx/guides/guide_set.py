# SPDX-License-Identifier: Apache-2.0
"""Assembling guide pairs for the engine.

``synthfx.engine.synthesize(style, guides=[(source, target, weight), ...], **params)`` takes one
(source, target, weight) triple per guide: the source guide is aligned with the style exemplar
(the keyframe), the target guide with the frame being synthesised.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synthfx.errors import InputError
from synthfx.guides._validate import as_image
from synthfx.guides.edges import EdgeMethod, edge_guide
from synthfx.guides.image import image_guide
from synthfx.guides.positional import positional_grid
from synthfx.guides.weights import EDGE_WEIGHT, IMAGE_WEIGHT, POSITIONAL_WEIGHT, TEMPORAL_WEIGHT

GuideTriple = tuple[np.ndarray, np.ndarray, float]


@dataclass(frozen=True)
class Guide:
    """One guide pair.

    Attributes:
        name: label for messages and debugging ("edge", "image", ...).
        source: (Hs, Ws, C) float32, aligned with the style exemplar.
        target: (Ht, Wt, C) float32, aligned with the output frame.
        weight: >= 0, spread by the engine over the C channels.
    """

    name: str
    source: np.ndarray
    target: np.ndarray
    weight: float


@dataclass
class GuideSet:
    """An ordered, validated list of guides with consistent source and target sizes."""

    guides: list[Guide] = field(default_factory=list)

    def add(self, name: str, source: np.ndarray, target: np.ndarray, weight: float) -> GuideSet:
        """Appends a guide after checking it against the others.

        Args:
            name: label of the guide.
            source: (Hs, Ws) or (Hs, Ws, C) float guide of the exemplar.
            target: (Ht, Wt) or (Ht, Wt, C) float guide of the frame.
            weight: finite, >= 0.

        Returns:
            self, for chaining.

        Raises:
            InputError: channel counts differ, sizes disagree with earlier guides, bad weight.
        """
        source_array = as_image(source, f"{name} source guide")
        target_array = as_image(target, f"{name} target guide")
        if source_array.shape[2] != target_array.shape[2]:
            raise InputError(
                f"{name} guide: source has {source_array.shape[2]} channels, "
                f"target has {target_array.shape[2]}"
            )
        if not (math.isfinite(weight) and weight >= 0):
            raise InputError(f"{name} guide weight must be finite and >= 0, got {weight}")
        if self.guides:
            first = self.guides[0]
            if source_array.shape[:2] != first.source.shape[:2]:
                raise InputError(
                    f"{name} source guide is {source_array.shape[:2]}, "
                    f"{first.name} source guide is {first.source.shape[:2]}"
                )
            if target_array.shape[:2] != first.target.shape[:2]:
                raise InputError(
                    f"{name} target guide is {target_array.shape[:2]}, "
                    f"{first.name} target guide is {first.target.shape[:2]}"
                )
        self.guides.append(Guide(name, source_array, target_array, float(weight)))
        return self

    def triples(self) -> list[GuideTriple]:
        """The engine's ``guides`` argument: [(source, target, weight), ...]."""
        return [(guide.source, guide.target, guide.weight) for guide in self.guides]

    def names(self) -> list[str]:
        """Guide names in order."""
        return [guide.name for guide in self.guides]

    def __len__(self) -> int:
        return len(self.guides)

    def __iter__(self) -> Iterator[Guide]:
        return iter(self.guides)


def frame_guides(
    key_frame: np.ndarray,
    frame: np.ndarray,
    positions: np.ndarray | None = None,
    *,
    key_positions: np.ndarray | None = None,
    style: np.ndarray | None = None,
    warped_style: np.ndarray | None = None,
    edge_method: EdgeMethod = "classic",
    edge_options: Mapping[str, Any] | None = None,
    luminance_only: bool = False,
    edge_weight: float = EDGE_WEIGHT,
    image_weight: float = IMAGE_WEIGHT,
    positional_weight: float = POSITIONAL_WEIGHT,
    temporal_weight: float = TEMPORAL_WEIGHT,
) -> GuideSet:
    """The standard guides for synthesising one frame from a keyframe (Jamriška et al. 2019).

    Edge, image and (when ``positions`` is given) positional guides, plus the temporal guide
    when both ``style`` and ``warped_style`` are given. A weight of 0 leaves that guide out.

    Args:
        key_frame: (Hs, Ws, C) float keyframe (the video frame the style was painted over).
        frame: (Ht, Wt, C) float frame to synthesise.
        positions: (Ht, Wt, 2) advected positional guide of ``frame``
            (:func:`synthfx.guides.positional.advect_positions`).
        key_positions: (Hs, Ws, 2) positional guide of the keyframe; the normalised grid if None.
        style: (Hs, Ws, C_s) float style exemplar, source side of the temporal guide.
        warped_style: (Ht, Wt, C_s) previous stylized frame warped onto ``frame``
            (:func:`synthfx.guides.temporal.warp_previous_style`).
        edge_method: "classic", "pst" or "page".
        edge_options: keyword options of the edge method.
        luminance_only: image guide on luminance only.
        edge_weight: weight of the edge guide.
        image_weight: weight of the image guide.
        positional_weight: weight of the positional guide.
        temporal_weight: weight of the temporal guide.

    Returns:
        GuideSet with guides named "edge", "image", "positional", "temporal" (those present).
    """
    options = dict(edge_options or {})
    guides = GuideSet()
    if edge_weight > 0:
        guides.add(
            "edge",
            edge_guide(key_frame, edge_method, **options),
            edge_guide(frame, edge_method, **options),
            edge_weight,
        )
    if image_weight > 0:
        guides.add(
            "image",
            image_guide(key_frame, luminance_only),
            image_guide(frame, luminance_only),
            image_weight,
        )
    if positions is not None and positional_weight > 0:
        if key_positions is None:
            key_shape = as_image(key_frame, "key_frame").shape
            key_positions = positional_grid(key_shape[0], key_shape[1])
        guides.add("positional", key_positions, positions, positional_weight)
    if (style is None) != (warped_style is None):
        raise InputError("the temporal guide needs both style and warped_style, or neither")
    if style is not None and warped_style is not None and temporal_weight > 0:
        guides.add("temporal", style, warped_style, temporal_weight)
    return guides
