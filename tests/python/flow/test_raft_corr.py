# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import math

import pytest
import torch

from synthfx.flow.raft_corr import (
    AllPairsCorrelation,
    OnDemandCorrelation,
    make_correlation,
    window_offsets,
)

DIM, HEIGHT, WIDTH = 16, 20, 28


@pytest.fixture
def features() -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    shape = (1, DIM, HEIGHT, WIDTH)
    return torch.randn(shape, generator=generator), torch.randn(shape, generator=generator)


def test_window_layout() -> None:
    offsets = window_offsets(3, torch.device("cpu"))
    assert offsets.shape == (7, 7, 2)
    # x offset runs along the first window axis (the layout the trained weights expect).
    assert offsets[0, 6].tolist() == [-3.0, 3.0] and offsets[6, 0].tolist() == [3.0, -3.0]


def test_level0_matches_direct_dot_products(features: tuple[torch.Tensor, torch.Tensor]) -> None:
    fmap1, fmap2 = features
    coords = torch.stack(
        torch.meshgrid(
            torch.arange(WIDTH, dtype=torch.float32),
            torch.arange(HEIGHT, dtype=torch.float32),
            indexing="xy",
        )
    )[None]
    lookup = AllPairsCorrelation(fmap1, fmap2, levels=4, radius=3)(coords)
    assert lookup.shape == (1, 4 * 49, HEIGHT, WIDTH)
    y, x = 9, 13
    for i in range(7):
        for j in range(7):
            dot = (fmap1[0, :, y, x] * fmap2[0, :, y + j - 3, x + i - 3]).sum() / math.sqrt(DIM)
            assert lookup[0, i * 7 + j, y, x] == pytest.approx(dot.item(), abs=1e-5)
    # Taps outside frame 2 read zeros (up to rounding of the normalised sample positions).
    outside = lookup[0, :49, 0, 0].reshape(7, 7)[:3, :]
    assert outside.abs().max() < 1e-5 < lookup[0, :49, 0, 0].abs().max()


def test_on_demand_matches_all_pairs(features: tuple[torch.Tensor, torch.Tensor]) -> None:
    fmap1, fmap2 = features
    generator = torch.Generator().manual_seed(1)
    # Sub-pixel positions, some beyond the borders.
    coords = torch.rand((1, 2, HEIGHT, WIDTH), generator=generator)
    coords = coords * torch.tensor([WIDTH + 8.0, HEIGHT + 8.0]).view(1, 2, 1, 1) - 4.0
    expected = AllPairsCorrelation(fmap1, fmap2)(coords)
    for chunk_bytes in (1, 2**30):  # one row per chunk, and everything at once
        actual = OnDemandCorrelation(fmap1, fmap2, chunk_bytes=chunk_bytes)(coords)
        torch.testing.assert_close(actual, expected, atol=1e-5, rtol=1e-5)


def test_make_correlation(features: tuple[torch.Tensor, torch.Tensor]) -> None:
    fmap1, fmap2 = features
    assert isinstance(make_correlation(fmap1, fmap2, "auto"), AllPairsCorrelation)
    assert isinstance(make_correlation(fmap1, fmap2, "on-demand"), OnDemandCorrelation)
    with pytest.raises(ValueError, match="unknown correlation mode 'fast'"):
        make_correlation(fmap1, fmap2, "fast")
