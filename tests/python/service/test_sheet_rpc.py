# SPDX-License-Identifier: Apache-2.0
"""Key sheets through a real ``synthfx serve`` on Big Buck Bunny: PackSheet's sheet and layout
equal ``synthfx sheet pack``'s bit for bit (whole frames, and cropped to a matte), a Render job
with a styled sheet equals the pipeline given the unpacked keys, and the one-line errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from service_testing import fast_params, paint, reference_render

from synthfx.cli import main
from synthfx.client import BackendClient, Payload
from synthfx.client.errors import InvalidRequestError
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.sheet import parse_layout, unpack_sheet
from synthfx.v1 import synthfx_pb2 as pb

FRAMES = range(1001, 1010)
SIZE = (96, 54)


def _disc(frame: int) -> np.ndarray:
    """A soft disc moving right 4 px a frame: (H, W, 1) float32 matte."""
    width, height = SIZE
    y, x = np.mgrid[0:height, 0:width]
    distance = np.hypot(x - (20 + 4 * (frame - FRAMES.start)), y - 27) - 12.0
    return np.clip(0.5 - distance / 2, 0, 1).astype(np.float32)[..., None]


@pytest.fixture(scope="module")
def shot(bbb_video: Path, tmp_path_factory) -> Path:
    """Plate p.####.exr and matte m.####.exr (float EXR, 96x54) of frames 1001-1009."""
    root = tmp_path_factory.mktemp("sheet-service-shot")
    with VideoReader(bbb_video) as reader:
        for frame, pixels in reader.frames(FrameRange(60, 60 + len(FRAMES) - 1)):
            number = frame - 60 + FRAMES.start
            plate = cv2.resize(pixels, SIZE, interpolation=cv2.INTER_AREA)
            write_image(root / f"p.{number:04d}.exr", plate, dtype="float")
            write_image(root / f"m.{number:04d}.exr", _disc(number), dtype="float")
    return root


def _read(pattern: Path, frames=FRAMES) -> dict[int, np.ndarray]:
    return {f: read_image(str(pattern).replace("####", f"{f:04d}")).pixels for f in frames}


def _upload(client: BackendClient, frames: dict[int, np.ndarray]) -> list[pb.FrameImage]:
    payloads = {f: Payload.of(a) for f, a in frames.items()}
    client.upload(payloads.values())
    return [pb.FrameImage(frame=f, image=p.ref()) for f, p in sorted(payloads.items())]


def _cli_pack(shot: Path, out: Path, *extra: str) -> tuple[np.ndarray, str]:
    sheet = out / "sheet.exr"
    args = ["sheet", "pack", "--frames", str(shot / "p.####.exr"), "--out", str(sheet),
            "--dtype", "float", *extra]  # fmt: skip
    assert main(args) == 0
    return read_image(sheet).pixels, sheet.with_suffix(".json").read_text()


@pytest.mark.parametrize(
    ("cli", "params", "with_matte"),
    [
        (("--grid", "2"), pb.SheetParams(grid=2), False),
        (("--grid", "3", "--keys", "1001,1004,1009", "--cell-size", "40x30"),
         pb.SheetParams(grid=3, keys="1001,1004,1009", cell_width=40, cell_height=30), False),
        (("--grid", "2", "--matte", "MATTE", "--crop-to-matte", "--margin", "3"),
         pb.SheetParams(grid=2, crop_to_matte=True, margin=3), True),
    ],
    ids=["whole", "list-scaled", "cropped"],
)  # fmt: skip
def test_pack_sheet_equals_cli(module_server, shot, tmp_path, capsys, cli, params, with_matte):
    cli = tuple(str(shot / "m.####.exr") if a == "MATTE" else a for a in cli)
    expected, layout_json = _cli_pack(shot, tmp_path, *cli)
    capsys.readouterr()
    keys = parse_layout(layout_json).frames
    plate, matte = _read(shot / "p.####.exr"), _read(shot / "m.####.exr")
    events: list[pb.Progress] = []
    with BackendClient(module_server.address) as client:
        # Only the key frames are sent: the shot's range alone decides auto keys.
        request = pb.PackSheetRequest(
            first_frame=FRAMES.start, last_frame=FRAMES[-1], params=params,
            frames=_upload(client, {k: plate[k] for k in keys}),
            matte=_upload(client, {k: matte[k] for k in keys}) if with_matte else [],
        )  # fmt: skip
        packed = client.pack_sheet(request, progress=events.append)
    assert packed.image.dtype == np.float32 and packed.image.shape == expected.shape
    assert np.array_equal(packed.image, expected)
    assert packed.layout_json == layout_json
    assert packed.keys == keys
    assert [(e.stage, e.done, e.total) for e in events][-1] == ("read", len(keys), len(keys))


def test_render_with_key_sheet_equals_unpacked_keys(server_factory, shot, tmp_path) -> None:
    """A Render job whose keys are a styled sheet (uploaded, or a file the backend reads)
    renders what the pipeline renders given the keys unpack_sheet cuts from it."""
    plate = _read(shot / "p.####.exr")
    styled_path = tmp_path / "styled.exr"
    server = server_factory("--read-root", str(tmp_path))
    with BackendClient(server.address) as client:
        request = pb.PackSheetRequest(
            first_frame=FRAMES.start, last_frame=FRAMES[-1],
            params=pb.SheetParams(grid=2, keys="1001,1005,1009"), frames=_upload(client, plate),
        )  # fmt: skip
        packed = client.pack_sheet(request)
        styled = paint(packed.image, 1)
        write_image(styled_path, styled, dtype="float")
        keys = unpack_sheet(parse_layout(packed.layout_json), styled)
        frames = _upload(client, plate)
        expected = reference_render(plate, keys, fast_params(), [1003, 1005, 1008])
        for sheet in (pb.FrameImage(image=_upload(client, {0: styled})[0].image),
                      pb.FrameImage(path=str(styled_path))):  # fmt: skip
            job = pb.Job(
                first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=frames,
                params=fast_params(),
                key_sheet=pb.KeySheet(sheet=sheet, layout_json=packed.layout_json),
            )  # fmt: skip
            for frame, image in expected.items():
                got = client.render(job, frame)
                assert np.array_equal(got.image, image), (sheet.WhichOneof("image"), frame)


def test_exception(module_server, shot, tmp_path, capsys) -> None:
    plate = _read(shot / "p.####.exr")
    with BackendClient(module_server.address) as client:
        frames = _upload(client, plate)

        def error(**fields) -> str:
            values = {"first_frame": FRAMES.start, "last_frame": FRAMES[-1], "frames": frames,
                      "params": pb.SheetParams(grid=2)}  # fmt: skip
            with pytest.raises(InvalidRequestError) as failure:
                client.pack_sheet(pb.PackSheetRequest(**{**values, **fields}))
            assert len(str(failure.value).splitlines()) == 1
            return str(failure.value)

        assert "a 4x4 sheet needs 16 key frames, but the frames 1001-1009 are only 9" in error(
            params=pb.SheetParams(grid=4)
        )
        assert "grid must be <= 16, got 17" in error(params=pb.SheetParams(grid=17))
        assert "params.crop_to_matte needs the matte frames" in error(
            params=pb.SheetParams(grid=2, crop_to_matte=True)
        )
        assert "frames lacks key frame 1009: send every key frame" in error(frames=frames[:-1])
        assert "cell_width and cell_height go together" in error(
            params=pb.SheetParams(grid=2, cell_width=10)
        )

        # A styled sheet of another size: the CLI's one line, naming the size expected.
        whole = pb.PackSheetRequest(
            first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=frames,
            params=pb.SheetParams(grid=2),
        )  # fmt: skip
        packed = client.pack_sheet(whole)
        small = cv2.resize(packed.image, (96, 54), interpolation=cv2.INTER_AREA)
        job = pb.Job(
            first_frame=FRAMES.start, last_frame=FRAMES[-1], frames=frames, params=fast_params(),
            key_sheet=pb.KeySheet(sheet=pb.FrameImage(image=_upload(client, {0: small})[0].image),
                                  layout_json=packed.layout_json),
        )  # fmt: skip
        with pytest.raises(InvalidRequestError) as failure:
            client.render(job, 1003)
    expected = "the styled sheet is 96x54, the layout expects 192x108 (2x2 cells of 96x54)"
    assert expected in str(failure.value)
    assert len(str(failure.value).splitlines()) == 1
