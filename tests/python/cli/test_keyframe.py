# SPDX-License-Identifier: Apache-2.0
"""``synthfx keyframe`` on real files: the Python API's pixels, alpha kept, gatys with a seeded
VGG19, a whole shot stylized from one painting, and one-line errors."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from keyframe.conftest import stylized
from keyframe.vgg_weights import random_vgg_state, save_state
from synthfx.cli import build_parser, main
from synthfx.cli.engine_options import flag
from synthfx.engine import SynthesisParams
from synthfx.flow.evaluation import psnr
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.keyframe import (
    KEYFRAME_ENGINE_PARAMS,
    KeyframeOptions,
    make_keyframe,
    match_histogram,
)
from synthfx.schema import options_of

SHOT = range(1001, 1005)
SIZE = (96, 54)


@pytest.fixture(scope="module")
def files(bbb_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Plate p.1001-1004 (BBB frames 60-63, float EXR), their stylized truth t.####.exr and
    the painting ref.png: the same filter on frame 20 (another layout), 8-bit."""
    root = tmp_path_factory.mktemp("keyframe-shot")
    with VideoReader(bbb_video) as reader:
        frames = dict(reader.frames(FrameRange(20, 63)))
    for number, source in zip(SHOT, range(60, 64), strict=True):
        plate = cv2.resize(frames[source], SIZE, interpolation=cv2.INTER_AREA)
        write_image(root / f"p.{number}.exr", plate, dtype="float")
        write_image(root / f"t.{number}.exr", stylized(plate), dtype="float")
    painting = stylized(cv2.resize(frames[20], SIZE, interpolation=cv2.INTER_AREA))
    write_image(root / "ref.png", painting)
    return root


def keyframe_args(files: Path, out: Path, *extra: str) -> list[str]:
    return [
        "keyframe",
        "--frame", str(files / "p.1001.exr"),
        "--reference", str(files / "ref.png"),
        "--out", str(out),
        "--dtype", "float",
        "--quiet",
        *extra,
    ]  # fmt: skip


def test_writes_the_python_api_keyframe(files: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "key.exr"
    assert main([*keyframe_args(files, out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["method"], report["width"], report["height"]) == ("patch", 96, 54)
    written = read_image(out).pixels
    plate = read_image(files / "p.1001.exr").pixels
    painting = read_image(files / "ref.png").pixels
    expected = make_keyframe(plate, [painting]).image
    assert written.shape == expected.shape
    np.testing.assert_array_equal(written, expected)


def test_alpha_weights_and_engine_flags(files: Path, tmp_path: Path) -> None:
    plate = read_image(files / "p.1001.exr").pixels[..., :3]
    alpha = np.tile(np.linspace(0, 1, SIZE[0], dtype=np.float32), (SIZE[1], 1))
    write_image(tmp_path / "rgba.exr", np.dstack([plate, alpha]), dtype="float")
    out = tmp_path / "key.exr"
    status = main(
        [
            *keyframe_args(files, out), "--frame", str(tmp_path / "rgba.exr"),
            "--reference", str(files / "ref.png"), "--reference-weight", "3",
            "--reference-weight", "1", "--preserve-colour", "luminance", "--patch-size", "5",
        ]
    )  # fmt: skip
    assert status == 0
    written = read_image(out).pixels
    np.testing.assert_array_equal(written[..., 3], alpha)
    painting = read_image(files / "ref.png").pixels
    engine = SynthesisParams(**{**KEYFRAME_ENGINE_PARAMS.__dict__, "patch_size": 5})
    options = KeyframeOptions(
        preserve_colour="luminance", reference_weights=(3.0, 1.0), engine=engine
    )
    expected = make_keyframe(np.dstack([plate, alpha]), [painting, painting], options=options)
    np.testing.assert_array_equal(written, expected.image)


def test_segmentation(files: Path, tmp_path: Path) -> None:
    plate_top = np.zeros((SIZE[1], SIZE[0]), np.float32)
    plate_top[: SIZE[1] // 2] = 1.0
    write_image(tmp_path / "seg.exr", plate_top, dtype="float")
    write_image(tmp_path / "ref_seg.png", plate_top)  # 8-bit: 0 and 1 survive exactly
    out = tmp_path / "key.exr"
    argv = [*keyframe_args(files, out), "--segmentation", str(tmp_path / "seg.exr")]
    argv += ["--reference-segmentation", str(tmp_path / "ref_seg.png")]
    assert main(argv) == 0
    expected = make_keyframe(
        read_image(files / "p.1001.exr").pixels,
        [read_image(files / "ref.png").pixels],
        segmentation=plate_top,
        reference_segmentations=[plate_top],
    )
    np.testing.assert_array_equal(read_image(out).pixels, expected.image)


def test_gatys(files: Path, tmp_path: Path, capsys) -> None:
    weights = save_state(random_vgg_state("vgg16"), tmp_path / "vgg16.pth")
    out = tmp_path / "key.exr"
    args = [*keyframe_args(files, out), "--method", "gatys", "--network", "vgg16"]
    args += ["--weights", str(weights), "--iterations", "6", "--torch-device", "cpu", "--json"]
    strip = tmp_path / "strip.png"
    assert main([*args, "--snapshot-every", "2", "--progress-strip", str(strip)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 6 <= report["evaluations"] <= 6 + 25  # a last line search may finish its steps
    assert report["loss_last"]["total"] < report["loss_first"]["total"]
    assert read_image(out).pixels.shape == (54, 96, 3)
    # One working-size (here the plate's size) image per 2 evaluations, side by side.
    assert read_image(strip).pixels.shape == (54, 96 * (report["evaluations"] // 2), 3)
    assert main([*args, "--progress-strip", str(strip)]) == 2
    assert "give --snapshot-every N too" in capsys.readouterr().err


def test_whole_shot_from_one_painting(files: Path, tmp_path: Path) -> None:
    """keyframe, then stylize from it: every frame takes the painting's look."""
    key = tmp_path / "k.1001.exr"
    assert main(keyframe_args(files, key)) == 0
    stylize = [
        "stylize", "--frames", str(files / "p.####.exr"), "--range", "1001-1004",
        "--key", f"1001={key}", "--out", str(tmp_path / "s.####.exr"), "--quiet",
        "--search-vote-iters", "4", "--patchmatch-iters", "2",
    ]  # fmt: skip
    assert main(stylize) == 0
    painting = read_image(files / "ref.png").pixels
    for frame in SHOT:
        truth = read_image(files / f"t.{frame}.exr").pixels[..., :3]
        plate = read_image(files / f"p.{frame}.exr").pixels[..., :3]
        result = read_image(tmp_path / f"s.{frame}.exr").pixels[..., :3]
        # Measured against the stylized truth: 15.30-15.38 dB; the plate 11.2 dB, the plate
        # histogram-matched to the painting 14.66-14.70 dB.
        score = psnr(result, truth)
        assert score > psnr(plate, truth) + 3.0, frame
        assert score > psnr(match_histogram(plate, painting), truth) + 0.4, frame


def _subcommand() -> argparse.ArgumentParser:
    (commands,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return commands.choices["keyframe"]


def test_flags_match_schema() -> None:
    flags = {o: a for a in _subcommand()._actions for o in a.option_strings}
    for cls, defaults in ((KeyframeOptions, KeyframeOptions()), (SynthesisParams, None)):
        for opt in options_of(cls):
            if cls is SynthesisParams and opt.name == "style_weight":
                continue  # --style-weight is the gatys style loss's
            action = flags[flag(opt)]
            if defaults is None:
                default = KEYFRAME_ENGINE_PARAMS.__dict__[opt.name]
            else:
                default = getattr(defaults, opt.name)
            offered = opt.info.offered if opt.info.has_offered else default
            assert action.default == offered, opt.name
            assert action.help is not None and action.help.startswith(opt.info.help), opt.name


def test_exception(files: Path, tmp_path: Path, capsys) -> None:
    def error(*argv: str) -> str:
        assert main(list(argv)) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1, lines  # one line, never a traceback
        return lines[0].removeprefix("synthfx keyframe: error: ")

    out = tmp_path / "key.exr"
    args = keyframe_args(files, out)
    missing = tmp_path / "none.png"
    assert str(missing) in error(*args, "--reference", str(missing))
    assert error(*args, "--reference-weight", "1", "--reference-weight", "2") == (
        "2 --reference-weight values for 1 --reference images: give one weight per reference, "
        "in their order"
    )
    assert error(*args, "--method", "gatys").startswith(
        "--method gatys needs VGG weights: give --weights PATH"
    )
    assert error(*args, "--method", "gatys", "--weights", str(missing)).startswith(
        f"VGG weights not found: {missing}"
    )
    assert error(*keyframe_args(files, files / "ref.png")) == (
        f"--out {files / 'ref.png'} is the --reference file: choose another name"
    )
    write_image(tmp_path / "small.exr", np.ones((10, 10), np.float32))
    assert error(*args, "--mask", str(tmp_path / "small.exr")) == (
        "the mask is 10x10, the plate is 96x54"
    )
    assert error(*args, "--style-layers", "relu6_1").startswith("vgg19 has no layer 'relu6_1'")
    assert error(*args, "--segmentation", str(files / "p.1002.exr")).startswith(
        "a segmentation needs one for the plate and one per reference: got one for the plate "
        "and 0 for 1 reference(s)"
    )
    assert not out.exists()
