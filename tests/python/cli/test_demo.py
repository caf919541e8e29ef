# SPDX-License-Identifier: Apache-2.0
"""``synthfx demo`` on a tiny excerpt: every promised file, a PSNR above holding the keys."""

from __future__ import annotations

import json
from pathlib import Path

import OpenImageIO as oiio

from synthfx.cli import main
from synthfx.io import read_image


def gif_frame_count(path: Path) -> int:
    image = oiio.ImageInput.open(str(path))
    assert image is not None, oiio.geterror()
    count = 0
    while image.seek_subimage(count, 0):
        count += 1
    image.close()
    return count


def test_demo_writes_everything(tmp_path: Path, capsys) -> None:
    args = ["demo", "--out", str(tmp_path), "--count", "5", "--scale", "0.1",
            "--key-spacing", "4", "--json", "--quiet"]  # fmt: skip
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["frames"] == 5 and report["keys"] == [1001, 1005]
    assert report["size"] == [128, 72]
    assert report["psnr"] > report["psnr_hold_nearest_key"] + 3.0
    for frame in range(1001, 1006):
        assert read_image(tmp_path / f"source/f.{frame}.exr").pixels.shape == (72, 128, 3)
        assert read_image(tmp_path / f"stylized/s.{frame}.exr").pixels.shape == (72, 128, 4)
    assert (tmp_path / "keys/k.1001.exr").is_file() and (tmp_path / "keys/k.1005.exr").is_file()
    assert gif_frame_count(tmp_path / "preview.gif") == 5
    sheet = read_image(tmp_path / "contact_sheet.png").pixels
    assert sheet.shape[1] > 3 * 128 and sheet.shape[0] > 3 * 72

    # A rerun finds every frame up to date.
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["psnr"] == report["psnr"]
    assert again["stage_seconds"]["synthesis"] == 0.0
