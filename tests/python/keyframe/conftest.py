# SPDX-License-Identifier: Apache-2.0
"""A keyframe known answer on real video: two different Big Buck Bunny frames A and B and a
deterministic filter F (OpenCV's edge-preserving stylization); F(A) is the reference painting,
F(B) the keyframe B should get."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.io import FrameRange, VideoReader

# Frames far apart (different layout: the keyframe cannot copy A's) at 160x90.
FRAME_A, FRAME_B, SIZE = 40, 90, (160, 90)


def stylized(image: np.ndarray) -> np.ndarray:
    """F: OpenCV's stylization (a pure function of the 8-bit image), float32 in [0, 1]."""
    bytes_ = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return cv2.stylization(bytes_, sigma_s=30, sigma_r=0.4).astype(np.float32) / 255.0


def ssim(image: np.ndarray, reference: np.ndarray) -> float:
    """Mean SSIM over channels (Wang et al. 2004: Gaussian window of deviation 1.5,
    K1 = 0.01, K2 = 0.03, peak 1)."""
    c1, c2 = 0.01**2, 0.03**2
    scores = []
    for channel in range(image.shape[2]):
        a = image[..., channel].astype(np.float64)
        b = reference[..., channel].astype(np.float64)

        def blur(x: np.ndarray) -> np.ndarray:
            return cv2.GaussianBlur(x, (11, 11), 1.5)

        mean_a, mean_b = blur(a), blur(b)
        var_a, var_b = blur(a * a) - mean_a**2, blur(b * b) - mean_b**2
        cov = blur(a * b) - mean_a * mean_b
        score = ((2 * mean_a * mean_b + c1) * (2 * cov + c2)) / (
            (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
        )
        scores.append(float(score.mean()))
    return float(np.mean(scores))


@dataclass(frozen=True)
class KnownAnswer:
    plate_a: np.ndarray
    plate_b: np.ndarray
    reference: np.ndarray  # F(A)
    truth: np.ndarray  # F(B)


@pytest.fixture(scope="session")
def known_answer(bbb_video: Path) -> KnownAnswer:
    with VideoReader(bbb_video) as reader:
        frames = dict(reader.frames(FrameRange(FRAME_A, FRAME_B)))
    a, b = (
        np.ascontiguousarray(cv2.resize(frames[f], SIZE, interpolation=cv2.INTER_AREA))
        for f in (FRAME_A, FRAME_B)
    )
    return KnownAnswer(a, b, stylized(a), stylized(b))


@pytest.fixture(scope="session")
def vgg19_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded random VGG19 state dict in torchvision's layout, saved to a temporary file."""
    from .vgg_weights import random_vgg_state, save_state

    return save_state(random_vgg_state("vgg19"), tmp_path_factory.mktemp("vgg") / "vgg19.pth")
