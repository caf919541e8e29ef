# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.guides import (
    EDGE_WEIGHT,
    IMAGE_WEIGHT,
    POSITIONAL_WEIGHT,
    TEMPORAL_WEIGHT,
    GuideSet,
    advect_positions,
    edge_guide,
    image_guide,
    positional_grid,
)


def textures(seed: int = 0, size: int = 48) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((size, size, 3), dtype=np.float32), rng.random((size, size, 3), np.float32)


class TestWeights:
    def test_ezsynth_defaults_but_the_edge(self) -> None:
        assert (EDGE_WEIGHT, IMAGE_WEIGHT, POSITIONAL_WEIGHT, TEMPORAL_WEIGHT) == (
            5.0,
            6.0,
            2.0,
            0.5,
        )


class TestGuideSet:
    def test_triples_in_order(self) -> None:
        source, target = np.zeros((4, 5, 2)), np.ones((6, 7, 2))
        guides = GuideSet().add("a", source, target, 2.0)
        guides.add("b", source[..., :1], target[..., :1], 0.5)
        assert guides.names() == ["a", "b"] and len(guides) == 2
        (s0, t0, w0), (s1, t1, w1) = guides.triples()
        assert s0.shape == (4, 5, 2) and t0.shape == (6, 7, 2) and (w0, w1) == (2.0, 0.5)
        assert s1.dtype == np.float32 and t1.shape == (6, 7, 1)

    def test_rejects_channel_mismatch(self) -> None:
        with pytest.raises(InputError, match="edge guide: source has 3 channels, target has 1"):
            GuideSet().add("edge", np.zeros((4, 4, 3)), np.zeros((4, 4, 1)), 1.0)

    def test_rejects_size_mismatch(self) -> None:
        guides = GuideSet().add("a", np.zeros((4, 4)), np.zeros((6, 6)), 1.0)
        with pytest.raises(InputError, match="b target guide"):
            guides.add("b", np.zeros((4, 4)), np.zeros((6, 5)), 1.0)

    def test_rejects_bad_weight(self) -> None:
        with pytest.raises(InputError, match="-1"):
            GuideSet().add("a", np.zeros((4, 4)), np.zeros((4, 4)), -1.0)


class TestStandardGuides:
    def test_steers_the_engine_along_a_shift(self) -> None:
        engine = pytest.importorskip("synthfx.engine")
        key, style = textures(3)
        dx, dy = 5, 3
        frame = np.roll(key, (dy, dx), axis=(0, 1))
        flow = np.empty((48, 48, 2), np.float32)
        flow[..., 0], flow[..., 1] = -dx, -dy
        positions = advect_positions(positional_grid(48, 48), flow)
        guides = GuideSet()
        guides.add("edge", edge_guide(key), edge_guide(frame), EDGE_WEIGHT)
        guides.add("image", image_guide(key), image_guide(frame), IMAGE_WEIGHT)
        guides.add("positional", positional_grid(48, 48), positions, POSITIONAL_WEIGHT)
        result = engine.synthesize(style, guides.triples()).image
        expected = np.roll(style, (dy, dx), axis=(0, 1))
        inner = (slice(dy + 4, -4), slice(dx + 4, -4))
        assert np.abs(result[inner] - expected[inner]).mean() < 0.02
        assert np.abs(result[inner] - style[inner]).mean() > 0.2
