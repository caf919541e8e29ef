# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import OpenImageIO as oiio
import pytest

from synthfx.errors import InputError
from synthfx.io.images import Image, check_output, read_image, read_image_shape, write_image


def _hdr_rgba(height: int = 24, width: int = 32, seed: int = 0) -> np.ndarray:
    """RGBA with values above 1, negatives and colour under low alpha (catches premultiply)."""
    rng = np.random.default_rng(seed)
    pixels = rng.uniform(-0.5, 8.0, size=(height, width, 4)).astype(np.float32)
    pixels[..., 3] = rng.uniform(0.0, 1.0, size=(height, width))
    return pixels


def _unit_rgba(height: int = 24, width: int = 32, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 1.0, size=(height, width, 4)).astype(np.float32)


def test_smoke(tmp_path: Path) -> None:
    pixels = _unit_rgba()[..., :3]
    write_image(tmp_path / "a.exr", pixels)
    image = read_image(tmp_path / "a.exr")
    assert isinstance(image, Image)
    assert image.pixels.dtype == np.float32
    assert (image.height, image.width, image.channels) == pixels.shape
    assert image.channel_names == ("R", "G", "B")
    assert read_image_shape(tmp_path / "a.exr") == pixels.shape


def test_real_png_matches_opencv(ebsynth_data: Path, photo: np.ndarray) -> None:
    image = read_image(ebsynth_data / "stylit" / "source_style.png")
    assert image.channel_names == ("R", "G", "B")
    # Same 8-bit levels; the two libraries scale by 1/255 with different float rounding.
    np.testing.assert_allclose(image.pixels, photo, rtol=0, atol=1e-7)


def test_exr_float_round_trip_exact(tmp_path: Path) -> None:
    pixels = _hdr_rgba()
    write_image(tmp_path / "a.exr", pixels, dtype="float")
    image = read_image(tmp_path / "a.exr")
    assert pixels.max() > 1.0
    np.testing.assert_array_equal(image.pixels, pixels)
    assert image.channel_names == ("R", "G", "B", "A")
    assert image.has_alpha


def test_exr_half_round_trip_half_precision(tmp_path: Path) -> None:
    pixels = _hdr_rgba()
    write_image(tmp_path / "a.exr", pixels)  # half is the EXR default
    back = read_image(tmp_path / "a.exr").pixels
    np.testing.assert_array_equal(back, pixels.astype(np.float16).astype(np.float32))
    assert back.max() > 7.0
    assert not np.array_equal(back, pixels)  # proves it really was stored as half


def test_float_tiff_round_trip_exact(tmp_path: Path) -> None:
    pixels = _hdr_rgba()
    write_image(tmp_path / "a.tif", pixels, dtype="float")
    np.testing.assert_array_equal(read_image(tmp_path / "a.tif").pixels, pixels)


@pytest.mark.parametrize("name", ["a.exr", "a.png", "a.tif", "a.dpx"])
def test_alpha_carried(tmp_path: Path, name: str) -> None:
    pixels = _unit_rgba()
    pixels[0, 0] = (0.8, 0.6, 0.4, 0.0)  # colour under zero alpha must survive
    write_image(tmp_path / name, pixels, dtype="uint16" if name != "a.exr" else "float")
    image = read_image(tmp_path / name)
    assert image.channel_names == ("R", "G", "B", "A")
    np.testing.assert_allclose(image.pixels, pixels, atol=1.0 / 65535)


@pytest.mark.parametrize(
    ("name", "dtype", "levels"),
    [
        ("a.png", "uint8", 255),
        ("a.png", "uint16", 65535),
        ("a.tif", "uint8", 255),
        ("a.tif", "uint16", 65535),
        ("a.dpx", "uint8", 255),
        ("a.dpx", "uint10", 1023),
        ("a.dpx", "uint16", 65535),
    ],
)
def test_integer_round_trip_within_quantisation(
    tmp_path: Path, name: str, dtype: str, levels: int
) -> None:
    pixels = _unit_rgba()[..., :3]
    write_image(tmp_path / name, pixels, dtype=dtype)
    back = read_image(tmp_path / name).pixels
    # Half a level of rounding; 10-bit DPX comes back through 16-bit bit replication (+2e-5).
    np.testing.assert_allclose(back, pixels, rtol=0, atol=0.5 / levels + 2e-5)
    assert np.abs(back - pixels).max() > 0.1 / levels  # it really was quantised


def test_integer_write_clips_and_rounds(tmp_path: Path) -> None:
    pixels = np.array([[[-0.5, 1.7, np.nan], [0.4 / 255, 0.6 / 255, 254.5 / 255]]], np.float32)
    write_image(tmp_path / "a.png", pixels)
    back = read_image(tmp_path / "a.png").pixels
    expected = np.rint(np.clip(np.nan_to_num(pixels), 0, 1) * 255) / 255
    np.testing.assert_allclose(back, expected, atol=1e-7)


def test_grey_and_default_dtypes(tmp_path: Path) -> None:
    grey = _unit_rgba()[..., 0]
    write_image(tmp_path / "g.png", grey)
    image = read_image(tmp_path / "g.png")
    assert image.pixels.shape == (*grey.shape, 1)
    assert image.channel_names == ("Y",)
    spec_input = oiio.ImageInput.open(str(tmp_path / "g.png"))
    assert spec_input.spec().format == oiio.TypeDesc(oiio.UINT8)
    spec_input.close()


def test_jpeg_round_trip_psnr(tmp_path: Path, photo: np.ndarray) -> None:
    crop = photo[200:328, 300:460]
    write_image(tmp_path / "a.jpg", crop)
    back = read_image(tmp_path / "a.jpg").pixels
    mse = float(np.mean((back - crop) ** 2))
    assert 10 * np.log10(1.0 / mse) > 30.0


def test_channel_names_and_pixel_aspect(tmp_path: Path) -> None:
    pixels = _hdr_rgba()[..., :3]
    write_image(tmp_path / "p.exr", pixels, channel_names=["X", "Y", "Z"], pixel_aspect=2.0)
    image = read_image(tmp_path / "p.exr")
    assert image.channel_names == ("X", "Y", "Z")
    assert image.pixel_aspect == 2.0
    assert not image.has_alpha


def test_data_window_placed_in_display_window(tmp_path: Path) -> None:
    spec = oiio.ImageSpec(4, 3, 3, oiio.FLOAT)
    spec.x, spec.y = 2, 1
    spec.full_x, spec.full_y, spec.full_width, spec.full_height = 0, 0, 8, 6
    output = oiio.ImageOutput.create(str(tmp_path / "dw.exr"))
    output.open(str(tmp_path / "dw.exr"), spec)
    output.write_image(np.full((3, 4, 3), 0.5, np.float32))
    output.close()
    pixels = read_image(tmp_path / "dw.exr").pixels
    expected = np.zeros((6, 8, 3), np.float32)
    expected[1:4, 2:6] = 0.5
    np.testing.assert_array_equal(pixels, expected)
    assert read_image_shape(tmp_path / "dw.exr") == (6, 8, 3)


def test_write_is_atomic_and_leaves_no_temporary(tmp_path: Path) -> None:
    write_image(tmp_path / "out" / "f.0001.exr", _hdr_rgba())
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["f.0001.exr"]


def test_exception_read(tmp_path: Path) -> None:
    missing = tmp_path / "missing.exr"
    with pytest.raises(InputError, match=re.escape(f"not found: {missing}")):
        read_image(missing)
    with pytest.raises(InputError, match=r"unsupported image extension '\.gif'.*a\.gif"):
        read_image(tmp_path / "a.gif")
    garbage = tmp_path / "garbage.exr"
    garbage.write_bytes(b"not an image" * 10)
    with pytest.raises(InputError, match=r"garbage\.exr"):
        read_image(garbage)
    write_image(tmp_path / "big.exr", np.ones((256, 256, 3), np.float32), dtype="float")
    data = (tmp_path / "big.exr").read_bytes()
    (tmp_path / "truncated.exr").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"truncated\.exr"):
        read_image(tmp_path / "truncated.exr")
    write_image(tmp_path / "big.png", np.ones((256, 256, 3), np.float32))
    data = (tmp_path / "big.png").read_bytes()
    (tmp_path / "truncated.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"truncated\.png") as error:
        read_image(tmp_path / "truncated.png")
    assert "\n" not in str(error.value)  # libpng's several lines joined: the CLI prints one


def test_exception_write(tmp_path: Path) -> None:
    rgb = np.zeros((4, 4, 3), np.float32)
    with pytest.raises(InputError, match=r"a\.bmp"):
        write_image(tmp_path / "a.bmp", rgb)
    with pytest.raises(InputError, match=r"a\.png.*'half'"):
        write_image(tmp_path / "a.png", rgb, dtype="half")
    with pytest.raises(InputError, match=r"a\.jpg.*not 4"):
        write_image(tmp_path / "a.jpg", np.zeros((4, 4, 4), np.float32))
    with pytest.raises(InputError, match="2 channel names for 3 channels"):
        write_image(tmp_path / "a.exr", rgb, channel_names=["R", "G"])
    with pytest.raises(InputError, match=r"\(4, 4, 3, 1\)"):
        write_image(tmp_path / "a.exr", rgb[..., None])
    assert list(tmp_path.iterdir()) == []


def test_exception_write_destination(tmp_path: Path) -> None:
    rgb = np.zeros((4, 4, 3), np.float32)
    (tmp_path / "file.exr").write_bytes(b"x")
    with pytest.raises(InputError, match=r"file\.exr/a\.exr: .*file\.exr is not a directory"):
        write_image(tmp_path / "file.exr" / "a.exr", rgb)
    with pytest.raises(InputError, match=r"cannot create .*file\.exr/sub: Not a directory"):
        write_image(tmp_path / "file.exr" / "sub" / "a.exr", rgb)
    (tmp_path / "dir.exr").mkdir()
    with pytest.raises(InputError, match=r"dir\.exr: it is a directory"):
        write_image(tmp_path / "dir.exr", rgb)
    # Checked before any work is done, with what write_image would be given.
    with pytest.raises(InputError, match=r"a\.jpg.*not 4"):
        check_output(tmp_path / "a.jpg", channels=4)
    assert check_output(tmp_path / "new" / "a.exr") == "half"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.exr", "file.exr", "new"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_exception_write_read_only_directory(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(InputError, match=r"the directory .*locked is not writable"):
            write_image(locked / "a.exr", np.zeros((4, 4, 3), np.float32))
        with pytest.raises(InputError, match=r"cannot create .*locked/sub: Permission denied"):
            check_output(locked / "sub" / "a.exr")
    finally:
        locked.chmod(0o700)


def test_exception_half_overflow(tmp_path: Path) -> None:
    pixels = np.ones((4, 4, 3), np.float32)
    pixels[1, 2, 0] = 1e30
    with pytest.raises(InputError, match=r"a\.exr as half: it holds 1e\+30.*--dtype float"):
        write_image(tmp_path / "a.exr", pixels)
    assert list(tmp_path.iterdir()) == []
    write_image(tmp_path / "a.exr", pixels, dtype="float")
    assert read_image(tmp_path / "a.exr").pixels[1, 2, 0] == np.float32(1e30)
    pixels[1, 2, 0] = np.inf  # already infinite: nothing is lost
    write_image(tmp_path / "b.exr", pixels)
    assert read_image(tmp_path / "b.exr").pixels[1, 2, 0] == np.inf
