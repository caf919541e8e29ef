# SPDX-License-Identifier: Apache-2.0
"""Assembling guide pairs for the engine.

``synthfx.engine.synthesize(style, guides=[(source, target, weight), ...], **params)`` takes one
(source, target, weight) triple per guide: the source guide is aligned with the style exemplar
(the keyframe), the target guide with the frame being synthesised.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from synthfx.errors import InputError
from synthfx.guides._validate import as_image

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
