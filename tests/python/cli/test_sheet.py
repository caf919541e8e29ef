# SPDX-License-Identifier: Apache-2.0
"""``synthfx sheet pack|unpack`` and ``synthfx stylize --sheet`` on a real shot (EXR files)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.cli import main
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.pipeline import painterly
from synthfx_testing import load_png

FAST_ENGINE = ["--search-vote-iters", "3", "--patchmatch-iters", "2"]
FRAMES = range(1001, 1006)
# auto keys of a 2x2 sheet over 1001-1005.
AUTO_KEYS = [1001, 1002, 1004, 1005]


@pytest.fixture(scope="module")
def shot(bbb_video: Path, ebsynth_data: Path, tmp_path_factory) -> Path:
    """Plate 1001-1005 (128x72 float EXR) and a matte: the facestyle head, moving right."""
    root = tmp_path_factory.mktemp("shot")
    reader = VideoReader(bbb_video)
    for frame, pixels in reader.frames(FrameRange(0, 4)):
        small = cv2.resize(pixels, None, fx=0.1, fy=0.1, interpolation=cv2.INTER_AREA)
        write_image(root / f"p.{1001 + frame:04d}.exr", small, dtype="float")
    reader.close()
    head = load_png(ebsynth_data / "facestyle" / "source_Gseg.png").max(axis=2)
    head = cv2.resize(head, (36, 44), interpolation=cv2.INTER_AREA)
    for index, frame in enumerate(FRAMES):
        matte = np.zeros((72, 128), np.float32)
        matte[14 : 14 + 44, 10 + 12 * index : 46 + 12 * index] = head
        write_image(root / f"m.{frame}.exr", matte, dtype="float")
    return root


def pack_args(shot: Path, out: Path, *extra: str) -> list[str]:
    return [
        "sheet", "pack", "--frames", str(shot / "p.####.exr"), "--range", "1001-1005",
        "--grid", "2", "--out", str(out), *extra,
    ]  # fmt: skip


def stylize_args(shot: Path, out: Path, *extra: str) -> list[str]:
    return [
        "stylize", "--frames", str(shot / "p.####.exr"), "--range", "1001-1005",
        "--out", str(out / "s.####.exr"), "--dtype", "float", "--quiet", *FAST_ENGINE, *extra,
    ]  # fmt: skip


def plate(shot: Path, frame: int) -> np.ndarray:
    return read_image(shot / f"p.{frame}.exr").pixels


def test_pack_then_unpack_gives_back_the_plate(shot: Path, tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet.exr"
    assert main([*pack_args(shot, sheet), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["keys"] == AUTO_KEYS and report["size"] == [256, 144]
    assert report["layout"] == str(tmp_path / "sheet.json")
    assert json.loads((tmp_path / "sheet.json").read_text())["version"] == 1
    pixels = read_image(sheet).pixels
    assert pixels.shape == (144, 256, 3)
    np.testing.assert_array_equal(pixels[72:, 128:], plate(shot, 1005))  # stored as float

    keys = tmp_path / "keys" / "k.####.exr"
    unpack = ["sheet", "unpack", "--sheet", str(sheet), "--layout", str(tmp_path / "sheet.json")]
    assert main([*unpack, "--out", str(keys)]) == 0
    assert sorted(p.name for p in keys.parent.iterdir()) == [f"k.{f}.exr" for f in AUTO_KEYS]
    for frame in AUTO_KEYS:
        key = read_image(keys.parent / f"k.{frame}.exr").pixels
        np.testing.assert_array_equal(key, plate(shot, frame))


def test_pack_crops_to_the_matte(shot: Path, tmp_path: Path, capsys) -> None:
    sheet = tmp_path / "sheet.exr"
    args = ["--matte", str(shot / "m.####.exr"), "--crop-to-matte", "--margin", "3"]
    assert main([*pack_args(shot, sheet, *args, "--keys", "1001,1003,1005"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["keys"] == [1001, 1003, 1005] and report["scale"] == 1.0
    layout = json.loads((tmp_path / "sheet.json").read_text())
    # The matte's bounding box grown by 3 px on each side (inside the 128x72 plate here).
    matte = read_image(shot / "m.1003.exr").pixels[..., 0]
    rows, columns = np.flatnonzero(matte.any(axis=1)), np.flatnonzero(matte.any(axis=0))
    crop = layout["cells"][1]["crop"]
    assert crop == {
        "x": int(columns[0]) - 3,
        "y": int(rows[0]) - 3,
        "width": int(columns[-1] - columns[0]) + 7,
        "height": int(rows[-1] - rows[0]) + 7,
    }
    unpack = ["sheet", "unpack", "--sheet", str(sheet), "--layout", str(tmp_path / "sheet.json")]
    assert main([*unpack, "--out", str(tmp_path / "k.####.exr")]) == 0
    key = read_image(tmp_path / "k.1003.exr").pixels
    assert key.shape == (72, 128, 4)
    box = (
        slice(crop["y"], crop["y"] + crop["height"]),
        slice(crop["x"], crop["x"] + crop["width"]),
    )
    np.testing.assert_array_equal(key[box][..., :3], plate(shot, 1003)[box])
    outside = np.ones((72, 128), bool)
    outside[box] = False
    assert not key[outside].any()


def test_stylize_sheet_matches_stylize_key(shot: Path, tmp_path: Path) -> None:
    sheet, layout = tmp_path / "sheet.exr", tmp_path / "sheet.json"
    assert main(pack_args(shot, sheet)) == 0
    # Stylized once, as a whole, and saved as 8-bit PNG, as an outside tool would.
    styled = tmp_path / "styled.png"
    write_image(styled, painterly(read_image(sheet).pixels))
    keys = tmp_path / "k.####.exr"
    unpack = ["sheet", "unpack", "--sheet", str(styled), "--layout", str(layout)]
    assert main([*unpack, "--out", str(keys)]) == 0
    given = [a for f in AUTO_KEYS for a in ("--key", f"{f}={tmp_path / f'k.{f}.exr'}")]
    assert main(stylize_args(shot, tmp_path / "by_key", *given)) == 0
    assert main(
        stylize_args(shot, tmp_path / "by_sheet", "--sheet", str(styled), "--layout", str(layout))
    ) == 0  # fmt: skip
    for frame in FRAMES:
        by_sheet = read_image(tmp_path / "by_sheet" / f"s.{frame}.exr").pixels
        by_key = read_image(tmp_path / "by_key" / f"s.{frame}.exr").pixels
        np.testing.assert_array_equal(by_sheet, by_key)
    # Each key frame is its cell of the styled sheet (PNG levels, exactly).
    cell = read_image(styled).pixels[:72, 128:]
    np.testing.assert_array_equal(
        read_image(tmp_path / "by_sheet" / "s.1002.exr").pixels[..., :3], cell
    )


def test_stylize_sheet_composites_over_the_plate_outside_the_matte(
    shot: Path, tmp_path: Path
) -> None:
    sheet, layout = tmp_path / "sheet.exr", tmp_path / "sheet.json"
    matte = str(shot / "m.####.exr")
    assert main(pack_args(shot, sheet, "--matte", matte, "--crop-to-matte")) == 0
    styled = tmp_path / "styled.exr"
    write_image(styled, painterly(read_image(sheet).pixels), dtype="float")
    sheet_args = ("--sheet", str(styled), "--layout", str(layout), "--mask", matte)
    assert main(stylize_args(shot, tmp_path, *sheet_args, "--mask-output", "over-source")) == 0
    for frame in FRAMES:
        out = read_image(tmp_path / f"s.{frame}.exr").pixels
        outside = read_image(shot / f"m.{frame}.exr").pixels[..., 0] == 0
        assert outside.mean() > 0.5
        np.testing.assert_array_equal(out[outside][:, :3], plate(shot, frame)[outside])
        assert np.all(out[..., 3] == 1.0)
        inside = ~outside
        assert np.abs(out[inside][:, :3] - plate(shot, frame)[inside]).mean() > 0.02
    # Premultiplied instead: nothing outside the matte, the keys' alpha carried inside it.
    assert main(stylize_args(shot, tmp_path / "alpha", *sheet_args, "--force")) == 0
    for frame in FRAMES:
        out = read_image(tmp_path / "alpha" / f"s.{frame}.exr").pixels
        cover = read_image(shot / f"m.{frame}.exr").pixels[..., 0]
        assert not out[cover == 0].any()
        alpha = out[..., 3]
        assert np.all(alpha <= cover + 1e-6)
        if frame in AUTO_KEYS:
            np.testing.assert_allclose(alpha, cover, atol=1e-6)
        else:  # blended between keys: measured mean 0.001, max 0.05 below the matte
            assert float(np.abs(alpha - cover).mean()) < 0.005


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--grid", "3"], "a 3x3 sheet needs 9 key frames, but the frames 1001-1005 are only 5"),
        (["--range", "1001-1008"], "3 of 8 frames of"),
        (["--crop-to-matte"], "--crop-to-matte needs --matte"),
        (["--cell-size", "64"], "--cell-size '64': expected WIDTHxHEIGHT"),
        (["--keys", "1001,1009"], "--keys: frame 1009 is outside the frames 1001-1005"),
    ],
)
def test_pack_exception(shot: Path, tmp_path: Path, capsys, extra: list[str], message) -> None:
    assert main([*pack_args(shot, tmp_path / "sheet.exr"), *extra]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "sheet.exr").exists()


def test_unpack_and_stylize_exception(shot: Path, tmp_path: Path, capsys) -> None:
    sheet, layout = tmp_path / "sheet.exr", tmp_path / "sheet.json"
    assert main(pack_args(shot, sheet)) == 0
    wrong = tmp_path / "wrong.png"
    write_image(wrong, np.zeros((512, 512, 3), np.float32))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    cases = [
        (["sheet", "unpack", "--sheet", str(wrong), "--layout", str(layout), "--out",
          str(tmp_path / "k.####.exr")],
         f"the styled sheet {wrong} is 512x512, the layout expects 256x144 (2x2 cells of 128x72)"),
        (["sheet", "unpack", "--sheet", str(sheet), "--layout", str(bad), "--out",
          str(tmp_path / "k.####.exr")], "is not valid JSON"),
        (["sheet", "unpack", "--sheet", str(sheet), "--layout", str(layout), "--out",
          str(tmp_path / "k.exr")], "needs a frame placeholder"),
        (stylize_args(shot, tmp_path, "--sheet", str(sheet), "--layout", str(layout), "--key",
                      f"1001={sheet}"), "--key and --sheet both give keyframes"),
        (stylize_args(shot, tmp_path, "--sheet", str(sheet)), "--sheet and --layout go together"),
        (stylize_args(shot, tmp_path, "--sheet", str(wrong), "--layout", str(layout)),
         "the layout expects 256x144"),
    ]  # fmt: skip
    for argv, message in cases:
        assert main(argv) == 2, argv
        captured = capsys.readouterr()
        assert message in captured.err, captured.err
        assert "Traceback" not in captured.err
    assert not list(tmp_path.glob("k.*")) and not list(tmp_path.glob("s.*"))
