# SPDX-License-Identifier: Apache-2.0
"""Unpacking a sheet: exact where nothing is resampled, a measured PSNR where it is, alpha
outside crops, and a wrong sheet refused with the size it should have."""

from __future__ import annotations

import numpy as np
import pytest

from synthfx.errors import InputError
from synthfx.sheet import matte_box, pack_sheet, plan_layout, unpack_sheet
from synthfx.sheet.resample import resize

from .conftest import moving_mattes

KEYS = [1001, 1004, 1006, 1009]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB for [0, 1] images."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(1.0 / mse)


def test_round_trip_is_exact_without_resampling(plates: dict[int, np.ndarray]) -> None:
    layout = plan_layout(KEYS, (128, 72), 2)
    keys = unpack_sheet(layout, pack_sheet(layout, plates))
    assert sorted(keys) == KEYS
    for frame in KEYS:
        assert keys[frame].dtype == np.float32
        np.testing.assert_array_equal(keys[frame], plates[frame])


def test_round_trip_of_matte_crops(plates: dict[int, np.ndarray], head_matte: np.ndarray) -> None:
    mattes = moving_mattes(head_matte, KEYS)
    crops = {f: matte_box(mattes[f], 6, f) for f in KEYS}
    layout = plan_layout(KEYS, (128, 72), 2, crops=crops)
    keys = unpack_sheet(layout, pack_sheet(layout, plates))
    for frame in KEYS:
        crop, key = crops[frame], keys[frame]
        assert key.shape == (72, 128, 4)  # the crop's alpha added
        inside = np.zeros((72, 128), bool)
        inside[crop.y : crop.y1, crop.x : crop.x1] = True
        np.testing.assert_array_equal(key[inside][:, :3], plates[frame][inside])
        assert np.all(key[inside][:, 3] == 1.0)
        assert not key[~inside].any()  # premultiplied nothing: colour and alpha 0
        assert np.all(mattes[frame][~inside] == 0)  # the whole object is inside its crop


@pytest.mark.parametrize(
    "factor,bound",
    # Measured on these plates (min over the keys): 41.8 dB at 2x and 1.36x, 33.7 dB at 0.8x,
    # 29.1 dB at 0.5x (a half-size cell cannot hold the plate's finest detail).
    [(2.0, 41.0), (1.36, 41.0), (0.8, 33.0), (0.5, 28.5)],
)
def test_round_trip_through_resampled_cells(
    plates: dict[int, np.ndarray], factor: float, bound: float
) -> None:
    cell = (round(128 * factor), round(72 * factor))
    layout = plan_layout(KEYS, (128, 72), 2, cell_size=cell)
    assert all(c.resampled for c in layout.cells)
    sheet = pack_sheet(layout, plates)
    keys = unpack_sheet(layout, sheet)
    worst = min(psnr(keys[f], plates[f]) for f in KEYS)
    assert worst >= bound
    assert worst < 60  # it was resampled, not copied


def test_shrinking_does_not_alias() -> None:
    # Stripes of period 2.5 px shrunk 3x lie beyond the new Nyquist limit: a filter that
    # widens with the factor leaves flat grey, a fixed kernel leaves moire.
    x = np.arange(300, dtype=np.float32)
    stripes = np.tile((0.5 + 0.5 * np.sin(2 * np.pi * x / 2.5))[None, :, None], (30, 1, 1))
    shrunk = resize(stripes, 100, 10)
    assert shrunk.shape == (10, 100, 1)
    assert float(np.std(shrunk)) < 0.01
    assert abs(float(shrunk.mean()) - 0.5) < 0.01


def test_sheet_alpha_and_grey_are_kept(plates: dict[int, np.ndarray]) -> None:
    layout = plan_layout(KEYS, (128, 72), 2)
    rgba = np.dstack([pack_sheet(layout, plates), np.full((144, 256), 0.25, np.float32)])
    keys = unpack_sheet(layout, rgba)
    assert keys[1004].shape == (72, 128, 4) and np.all(keys[1004][..., 3] == 0.25)
    grey = unpack_sheet(layout, rgba[..., :1])
    np.testing.assert_array_equal(grey[1009][..., 0], plates[1009][..., 0])


def test_exception(plates: dict[int, np.ndarray]) -> None:
    layout = plan_layout(KEYS, (128, 72), 2)
    sheet = pack_sheet(layout, plates)
    resized = resize(sheet, 512, 288)
    with pytest.raises(
        InputError,
        match=r"styled sheet is 512x288, the layout expects 256x144 \(2x2 cells of 128x72\); "
        r"resize it back to 256x144",
    ):
        unpack_sheet(layout, resized)
    with pytest.raises(InputError, match="has 5 channels"):
        unpack_sheet(layout, np.zeros((144, 256, 5), np.float32))
    sheet[3, 3, 0] = np.nan
    with pytest.raises(InputError, match="NaN or infinite"):
        unpack_sheet(layout, sheet)
