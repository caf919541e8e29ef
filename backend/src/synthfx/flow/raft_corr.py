# SPDX-License-Identifier: Apache-2.0
"""RAFT's correlation pyramid and its windowed lookup.

For every pixel p of frame 1 (at 1/8 resolution) RAFT correlates its feature with every pixel
of frame 2, ``C[p, q] = <f1(p), f2(q)> / sqrt(D)``, average-pools C over q three times (4
levels), and at each iteration samples a (2r+1)^2 window of every level around the current
estimate of where p went, bilinearly with zeros outside.

Two implementations give the same numbers:

* ``AllPairsCorrelation`` builds C once: (h w)^2 floats, fast, but its pyramid takes 1.1 GB
  at 1280x720 and 5.6 GB at 1920x1080.
* ``OnDemandCorrelation`` uses that pooling and bilinear sampling are linear in f2, so a
  sample of pooled C equals ``<f1(p), sample of pooled f2>``: it keeps only the feature
  pyramid and computes the window dot products per lookup, in row chunks of bounded memory.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

# Above this size of the all-pairs pyramid "auto" switches to on-demand correlation, which is
# several times slower (bench/README.md): 1280x720 stays all-pairs (1.1 GB), 1920x1080 (5.6 GB)
# goes on-demand.
ALL_PAIRS_LIMIT_BYTES = 2 * 2**30
# Working memory of one on-demand chunk of sampled features.
ON_DEMAND_CHUNK_BYTES = 64 * 2**20


def window_offsets(radius: int, device: torch.device) -> torch.Tensor:
    """Offsets of the lookup window, (2r+1, 2r+1, 2) float32 as (x, y).

    The trained weights read the window with x varying along the *first* window axis (RAFT
    builds it from ``meshgrid(dy, dx)`` but adds it to (x, y) coordinates), so channel
    ``i * (2r+1) + j`` holds offset ``(i - r, j - r)``. Any other order breaks the weights.
    """
    steps = torch.arange(-radius, radius + 1, dtype=torch.float32, device=device)
    first_axis, second_axis = torch.meshgrid(steps, steps, indexing="ij")
    return torch.stack([first_axis, second_axis], dim=-1)


def sample_pixels(image: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Bilinear samples at pixel coordinates, zeros outside.

    Args:
        image: (N, C, H, W).
        points: (N, ..., ..., 2) pixel coordinates (x, y); H and W must be at least 2.

    Returns:
        (N, C, points.shape[1], points.shape[2]).
    """
    height, width = image.shape[-2:]
    scale = torch.tensor([2.0 / (width - 1), 2.0 / (height - 1)], device=points.device)
    grid = points * scale - 1.0
    return F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


class AllPairsCorrelation:
    """Precomputed all-pairs correlation pyramid.

    Args:
        fmap1, fmap2: (B, D, h, w) features of frames 1 and 2.
        levels: Pyramid levels (RAFT: 4).
        radius: Window radius (RAFT-small: 3).
    """

    def __init__(
        self, fmap1: torch.Tensor, fmap2: torch.Tensor, levels: int = 4, radius: int = 3
    ) -> None:
        batch, dim, height, width = fmap1.shape
        self.radius = radius
        corr = torch.matmul(
            fmap1.reshape(batch, dim, height * width).transpose(1, 2),
            fmap2.reshape(batch, dim, height * width),
        ) / math.sqrt(dim)
        corr = corr.reshape(batch * height * width, 1, height, width)
        self.pyramid = [corr]
        for _ in range(levels - 1):
            corr = F.avg_pool2d(corr, kernel_size=2, stride=2)
            self.pyramid.append(corr)

    def __call__(self, coords: torch.Tensor) -> torch.Tensor:
        """Window lookup around ``coords`` (B, 2, h, w) -> (B, levels * (2r+1)^2, h, w)."""
        batch, _, height, width = coords.shape
        offsets = window_offsets(self.radius, coords.device)
        centres = coords.permute(0, 2, 3, 1).reshape(batch * height * width, 1, 1, 2)
        samples = []
        for level, corr in enumerate(self.pyramid):
            window = sample_pixels(corr, centres / 2**level + offsets)
            samples.append(window.reshape(batch, height, width, -1))
        return torch.cat(samples, dim=-1).permute(0, 3, 1, 2).contiguous()


class OnDemandCorrelation:
    """Correlation computed at lookup time from a pyramid of frame-2 features.

    Same arguments and results as ``AllPairsCorrelation``; memory grows with h * w instead of
    (h * w)^2, so it serves frames of any size.
    """

    def __init__(
        self,
        fmap1: torch.Tensor,
        fmap2: torch.Tensor,
        levels: int = 4,
        radius: int = 3,
        chunk_bytes: int = ON_DEMAND_CHUNK_BYTES,
    ) -> None:
        self.radius = radius
        self.chunk_bytes = chunk_bytes
        # Scaling f1 instead of every dot product: same maths, one multiply.
        self.fmap1 = fmap1 / math.sqrt(fmap1.shape[1])
        self.pyramid = [fmap2]
        for _ in range(levels - 1):
            self.pyramid.append(F.avg_pool2d(self.pyramid[-1], kernel_size=2, stride=2))

    def __call__(self, coords: torch.Tensor) -> torch.Tensor:
        """Window lookup around ``coords`` (B, 2, h, w) -> (B, levels * (2r+1)^2, h, w)."""
        batch, dim, height, width = self.fmap1.shape
        taps = (2 * self.radius + 1) ** 2
        offsets = window_offsets(self.radius, coords.device).reshape(taps, 2)
        out = coords.new_empty(batch, len(self.pyramid) * taps, height, width)
        bytes_per_row = batch * dim * width * taps * 4
        rows = max(1, self.chunk_bytes // bytes_per_row)
        centres = coords.permute(0, 2, 3, 1)  # (B, h, w, 2)
        for level, fmap2 in enumerate(self.pyramid):
            for top in range(0, height, rows):
                bottom = min(top + rows, height)
                points = centres[:, top:bottom, :, None, :] / 2**level + offsets
                count = bottom - top
                points = points.reshape(batch, count, width * taps, 2)
                features = sample_pixels(fmap2, points).reshape(batch, dim, count, width, taps)
                corr = (features * self.fmap1[:, :, top:bottom, :, None]).sum(dim=1)
                out[:, level * taps : (level + 1) * taps, top:bottom] = corr.permute(0, 3, 1, 2)
        return out


def make_correlation(
    fmap1: torch.Tensor, fmap2: torch.Tensor, mode: str = "auto", levels: int = 4, radius: int = 3
) -> AllPairsCorrelation | OnDemandCorrelation:
    """Picks the correlation implementation.

    Args:
        fmap1, fmap2: (B, D, h, w) features.
        mode: "all-pairs", "on-demand", or "auto" (all-pairs while its pyramid stays under
            ``ALL_PAIRS_LIMIT_BYTES``).
        levels, radius: Pyramid depth and window radius.
    """
    batch, _, height, width = fmap1.shape
    if mode == "auto":
        pyramid_bytes = batch * (height * width) ** 2 * 4 * 4 // 3  # levels shrink by 4x
        mode = "all-pairs" if pyramid_bytes <= ALL_PAIRS_LIMIT_BYTES else "on-demand"
    if mode == "all-pairs":
        return AllPairsCorrelation(fmap1, fmap2, levels, radius)
    if mode == "on-demand":
        return OnDemandCorrelation(fmap1, fmap2, levels, radius)
    raise ValueError(f"unknown correlation mode {mode!r}")
