# SPDX-License-Identifier: Apache-2.0
"""Stylize in unmodified MLT 7 (Kdenlive's and Shotcut's engine): ``melt`` renders an MLT XML
scene with the openfx filter, equal to ``synthfx stylize`` for the same job.

MLT hosts the filter context only and gives an effect just the frame it renders, so the
plate comes from Source Frames File and the keys from Style Frames File (the frames whose file
exists). MLT hands the plugin 16-bit frames as float and converts its float result back to
16 bits (``v * 65535 + 0.5``, clamped): the CLI's float frames through that conversion must
equal melt's 16-bit PNGs exactly."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pytest
from mlt_testing import MLT_SOURCE, built_mlt, run_melt
from ofx_testing import cli_reference, start_backend
from service_testing import FAST_ENGINE, FAST_FLOW, paint, synthetic_shot

from synthfx.io import read_image, write_image

FRAMES = 8
KEYS = (0, 7)
# MLT's openfx module logs a plugin's persistent messages with this prefix.
MLT_ERROR = "[openfx] persistent type=OfxMessageError"


@pytest.fixture(scope="module")
def mlt() -> Path:
    if not MLT_SOURCE.is_dir():
        pytest.skip(f"no MLT source at {MLT_SOURCE} (CI has ../shared beside the clone)")
    return built_mlt()


@pytest.fixture(scope="module")
def shot() -> dict[int, np.ndarray]:
    return synthetic_shot(FRAMES)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, shot) -> Path:
    """A read root: plate/f.####.exr (also melt's input) and paint/style.####.exr at the keys."""
    root = tmp_path_factory.mktemp("mlt-files")
    for f, pixels in shot.items():
        write_image(root / "plate" / f"f.{f:04d}.exr", pixels, dtype="float")
    for i, k in enumerate(KEYS):
        write_image(root / "paint" / f"style.{k:04d}.exr", paint(shot[k], i), dtype="float")
    return root


@pytest.fixture(scope="module")
def file_backend(tmp_path_factory: pytest.TempPathFactory, files: Path):
    server = start_backend(tmp_path_factory.mktemp("mlt-backend"), "127.0.0.1:0",
                           "--read-root", str(files))  # fmt: skip
    yield server
    server.kill()


def scene(files: Path, address: str, source_file: bool = True) -> str:
    """The MLT XML of the job: the plate with the Stylize filter, fast engine settings."""
    height, width = read_image(files / "plate" / "f.0000.exr").pixels.shape[:2]
    params = {
        "mlt_service": "openfx.org.synthfx.Stylize",
        "styleFile": str(files / "paint" / "style.####.exr"),
        "backendAddress": address,
        "flow": FAST_FLOW,
        "device": "cpu",
        **{_ofx_name(name): str(value) for name, value in FAST_ENGINE.items()},
    }
    if source_file:
        params["sourceFile"] = str(files / "plate" / "f.####.exr")
    properties = "\n".join(f'      <property name="{n}">{escape(v)}</property>'
                           for n, v in params.items())  # fmt: skip
    return f"""<?xml version="1.0" encoding="utf-8"?>
<mlt>
  <profile width="{width}" height="{height}" progressive="1" sample_aspect_num="1"
           sample_aspect_den="1" display_aspect_num="{width}" display_aspect_den="{height}"
           frame_rate_num="25" frame_rate_den="1"/>
  <producer id="plate" in="0" out="{FRAMES - 1}">
    <property name="mlt_service">avformat</property>
    <property name="resource">{escape(str(files / "plate" / "f.%04d.exr"))}</property>
    <filter>
{properties}
    </filter>
  </producer>
</mlt>
"""


def _ofx_name(option: str) -> str:
    """patch_size -> patchSize: the plugin's parameter for a FAST_ENGINE field."""
    first, *rest = option.split("_")
    return first + "".join(word.capitalize() for word in rest)


def melt_render(mlt: Path, bundle: Path, directory: Path, xml: str):
    """melt renders ``xml`` to 16-bit RGBA PNGs ``directory/out/o.####.png`` (frames from 0)."""
    plugins = directory / "plugins"
    plugins.mkdir(parents=True)
    (plugins / bundle.name).symlink_to(bundle)
    (directory / "scene.mlt").write_text(xml)
    (directory / "out").mkdir()
    # mlt_image_format: the consumer takes MLT's 16-bit RGBA as is, no YUV round trip.
    return run_melt(mlt, plugins, str(directory / "scene.mlt"), "-consumer",
                    f"avformat:{directory / 'out' / 'o.%04d.png'}", "vcodec=png",
                    "pix_fmt=rgba64be", "mlt_image_format=rgba64", "start_number=0")  # fmt: skip


def read_png16(path: Path) -> np.ndarray:
    import OpenImageIO as oiio

    image = oiio.ImageInput.open(str(path))
    assert image is not None, oiio.geterror()
    try:
        pixels = image.read_image(0, 0, 0, image.spec().nchannels, "uint16")
    finally:
        image.close()
    return np.asarray(pixels)


def as_mlt_16bit(image: np.ndarray) -> np.ndarray:
    """MLT's float -> rgba64 conversion (mltofx_float_to_rgba64), in float32 as MLT computes."""
    if image.shape[2] == 3:
        image = np.concatenate([image, np.ones_like(image[..., :1])], axis=2)
    clamped = np.where(image >= 0, np.minimum(image, np.float32(1)), np.float32(0))
    return (clamped.astype(np.float32) * np.float32(65535) + np.float32(0.5)).astype(np.uint16)


def test_melt_renders_stylize_equal_to_cli(mlt, bundle, shot, files, file_backend, tmp_path):
    keys = {k: files / "paint" / f"style.{k:04d}.exr" for k in KEYS}
    cli = cli_reference(shot, keys, tmp_path / "cli")
    done = melt_render(mlt, bundle, tmp_path / "melt", scene(files, file_backend.address))
    assert done.returncode == 0, done.stderr[-3000:]
    assert MLT_ERROR not in done.stderr, done.stderr[-3000:]
    for frame in range(FRAMES):
        expected = as_mlt_16bit(read_image(cli / f"o.{frame:04d}.exr").pixels)
        got = read_png16(tmp_path / "melt" / "out" / f"o.{frame:04d}.png")
        assert np.array_equal(got, expected), f"frame {frame} differs"
    rendered = [r for r in file_backend.renders() if r["frame"] in range(FRAMES)]
    assert len({r["frame"] for r in rendered}) == FRAMES


def test_melt_without_source_file_tells_the_artist(mlt, bundle, files, file_backend, tmp_path):
    """MLT passes the plate through when a filter fails; what it logs says what to set."""
    done = melt_render(mlt, bundle, tmp_path, scene(files, file_backend.address, False))
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"{MLT_ERROR} msg=synthfx: " in done.stderr, done.stderr[-3000:]
    assert "gives an effect only the frame it renders" in done.stderr
    assert "Set Source Frames File" in done.stderr
    assert "OfxImageEffectPropFrameRange" not in done.stderr
