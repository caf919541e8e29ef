# SPDX-License-Identifier: Apache-2.0
"""``synthfx imagesynth`` end to end on real files, through the installed console script."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthfx.cli import main
from synthfx.io.images import read_image, write_image


@pytest.fixture()
def files(tmp_path: Path, photo: np.ndarray) -> dict[str, Path]:
    crop = np.ascontiguousarray(photo[300:396, 420:548])
    hdr = crop * np.float32(3.0)  # values above 1.0 must survive
    alpha = np.linspace(0.0, 1.0, crop.shape[1], dtype=np.float32)[None, :].repeat(crop.shape[0], 0)
    style = np.concatenate([hdr, alpha[..., None]], axis=-1)
    paths = {name: tmp_path / f"{name}.exr" for name in ("style", "source", "target")}
    write_image(paths["style"], style, dtype="float")
    write_image(paths["source"], crop, dtype="float")
    write_image(paths["target"], np.roll(crop, (2, 3), axis=(0, 1)), dtype="half")
    return paths


def test_smoke(files: dict[str, Path], tmp_path: Path) -> None:
    out, nnf, error, preview = (tmp_path / n for n in ("out.exr", "nnf.exr", "err.exr", "p.png"))
    status = main(
        [
            "imagesynth",
            "--style",
            str(files["style"]),
            "--guide",
            str(files["source"]),
            str(files["target"]),
            "--weight",
            "2",
            "--out",
            str(out),
            "--dtype",
            "float",
            "--nnf",
            str(nnf),
            "--error",
            str(error),
            "--preview",
            str(preview),
            "--threads",
            "2",
            "--uniformity",
            "0",
            "--style-weight",
            "0.1",
        ]
    )
    assert status == 0
    image = read_image(out)
    assert image.pixels.shape == (96, 128, 4) and image.channel_names[-1] == "A"
    assert image.pixels[..., :3].max() > 2.0  # float kept
    style = read_image(files["style"]).pixels
    expected = np.roll(style, (2, 3), axis=(0, 1))
    interior = (slice(8, -8), slice(8, -8))
    assert np.abs(image.pixels[interior] - expected[interior]).mean() < 0.02
    offsets = (
        read_image(nnf).pixels[interior]
        - np.stack(np.meshgrid(np.arange(128), np.arange(96)), axis=-1)[interior]
    )
    assert np.mean((offsets[..., 0] == -3) & (offsets[..., 1] == -2)) > 0.95
    assert read_image(error).pixels.shape == (96, 128, 1)
    assert read_image(preview).pixels.max() <= 1.0


def test_console_script_reports_missing_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "synthfx.cli",
            "imagesynth",
            "--style",
            str(tmp_path / "no.exr"),
            "--guide",
            "a.exr",
            "b.exr",
            "--out",
            str(tmp_path / "o.exr"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "no.exr" in result.stderr and "Traceback" not in result.stderr


def test_exception_engine_error_is_one_line(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "imagesynth",
            "--style",
            str(files["style"]),
            "--guide",
            str(files["source"]),
            str(files["target"]),
            "--out",
            str(tmp_path / "o.exr"),
            "--patch-size",
            "4",
        ]
    )
    assert status == 2
    assert "patch_size must be odd" in capsys.readouterr().err
    assert not (tmp_path / "o.exr").exists()


def test_exception_weight_without_guide(files: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(
            [
                "imagesynth",
                "--style",
                str(files["style"]),
                "--weight",
                "2",
                "--out",
                str(tmp_path / "o.exr"),
            ]
        )
    assert info.value.code == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--out", "{style}"], r"--out .*style\.exr is also --style"),
        (["--out", "o.exr", "--nnf", "o.exr"], r"--nnf .*o\.exr is also --out"),
        (["--out", "o.exr", "--error", "{target}"], r"--error .*target\.exr is also --guide"),
        (["--out", "o.exr", "--nnf", "n.png"], r"n\.png: PNG stores uint8, uint16, not 'float'"),
        (["--out", "o.exr", "--preview", "p.exr"], r"p\.exr: OpenEXR stores half, float, not"),
        (["--out", "o.jpg"], r"o\.jpg: JPEG stores \(1, 3\) channels, not 4"),
        (["--out", "d.exr"], r"d\.exr: it is a directory"),
        (["--out", "style.exr/o.exr"], r"style\.exr is not a directory"),
    ],
)
def test_exception_outputs_checked_before_synthesis(
    files: dict[str, Path], tmp_path: Path, capsys, extra: list[str], message: str
) -> None:
    (tmp_path / "d.exr").mkdir()
    before = {path.name: path.read_bytes() for path in tmp_path.glob("*.exr") if path.is_file()}
    names = {"{style}": str(files["style"]), "{target}": str(files["target"])}
    extra = [names.get(arg, str(tmp_path / arg) if "." in arg else arg) for arg in extra]
    guide = ["--guide", str(files["source"]), str(files["target"])]
    assert main(["imagesynth", "--style", str(files["style"]), *guide, *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("synthfx imagesynth: error: ") and err.count("\n") == 1, err
    assert re.search(message, err), err
    after = {path.name: path.read_bytes() for path in tmp_path.glob("*.exr") if path.is_file()}
    assert after == before
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob("*.jpg"))
