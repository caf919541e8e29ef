# SPDX-License-Identifier: Apache-2.0
"""Keyframe through a real ``synthfx serve`` on Big Buck Bunny: the call's keyframe equal to
``synthfx keyframe``'s bit for bit (patch method; alpha and mask), gatys with weights from the
server's models directory, cancel, and the one-line errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest

from synthfx.cli import main
from synthfx.client import BackendClient, ServiceCancelledError
from synthfx.client.errors import InvalidRequestError
from synthfx.client.remote import keyframe_message
from synthfx.io import FrameRange, VideoReader, read_image, write_image
from synthfx.keyframe import KeyframeOptions, make_keyframe
from synthfx.pipeline import painterly
from synthfx.v1 import synthfx_pb2 as pb

SIZE = (96, 54)


@pytest.fixture(scope="module")
def pictures(bbb_video: Path, tmp_path_factory) -> Path:
    """plate.exr (RGBA, a soft matte as alpha), painting.exr (another frame, painted) and
    mask.exr (the left half), float EXR."""
    root = tmp_path_factory.mktemp("keyframe-service")
    with VideoReader(bbb_video) as reader:
        frames = dict(reader.frames(FrameRange(40, 90)))
    plate, other = (cv2.resize(frames[f], SIZE, interpolation=cv2.INTER_AREA) for f in (90, 40))
    alpha = np.broadcast_to(np.linspace(0.2, 1.0, SIZE[0], dtype=np.float32), SIZE[::-1])
    write_image(root / "plate.exr", np.dstack([plate, alpha]).astype(np.float32), dtype="float")
    write_image(root / "painting.exr", painterly(other), dtype="float")
    mask = np.zeros((SIZE[1], SIZE[0], 1), np.float32)
    mask[:, : SIZE[0] // 2] = 1.0
    write_image(root / "mask.exr", mask, dtype="float")
    return root


def _cli(pictures: Path, out: Path, *extra: str) -> np.ndarray:
    args = ["keyframe", "--frame", str(pictures / "plate.exr"),
            "--reference", str(pictures / "painting.exr"), "--out", str(out),
            "--dtype", "float", "--quiet", *extra]  # fmt: skip
    assert main(args) == 0
    return read_image(out).pixels


def _read(pictures: Path, name: str) -> np.ndarray:
    return read_image(pictures / name).pixels


def test_keyframe_equals_cli_bit_for_bit(module_server, pictures: Path, tmp_path: Path) -> None:
    cli = _cli(pictures, tmp_path / "key.exr")
    plate, painting = _read(pictures, "plate.exr"), _read(pictures, "painting.exr")
    events: list[pb.Progress] = []
    with BackendClient(module_server.address) as client:
        done = client.keyframe(plate, [painting], progress=events.append)
    assert done.image.shape == cli.shape == (SIZE[1], SIZE[0], 4)
    assert np.array_equal(done.image, cli)
    assert np.array_equal(done.image[..., 3], plate[..., 3])  # the plate's alpha kept
    assert not np.allclose(done.image[..., :3], plate[..., :3], atol=0.02)  # styled
    assert done.evaluations == 0 and "synthesis" in {e.stage for e in events}


def test_mask_and_options_equal_cli(module_server, pictures: Path, tmp_path: Path) -> None:
    extra = ["--mask", str(pictures / "mask.exr"), "--preserve-colour", "luminance",
             "--edge-weight", "0.5", "--patch-size", "5"]  # fmt: skip
    cli = _cli(pictures, tmp_path / "key.exr", *extra)
    plate, painting = _read(pictures, "plate.exr"), _read(pictures, "painting.exr")
    options = KeyframeOptions(preserve_colour="luminance", edge_weight=0.5)
    options = options.replace(engine=dataclasses.replace(options.engine, patch_size=5))
    with BackendClient(module_server.address) as client:
        done = client.keyframe(
            plate, [painting], mask=_read(pictures, "mask.exr"), params=keyframe_message(options)
        )
    assert np.array_equal(done.image, cli)
    half = SIZE[0] // 2
    assert np.array_equal(done.image[:, half:], plate[:, half:])  # the plate kept outside


def test_gatys_weights_from_the_models_directory(
    server_factory, pictures: Path, tmp_path: Path
) -> None:
    pytest.importorskip("torch")
    from keyframe.vgg_weights import random_vgg_state, save_state

    models = tmp_path / "models"
    models.mkdir()
    save_state(random_vgg_state("vgg19"), models / "vgg19.pth")
    server = server_factory("--models-dir", str(models))
    plate, painting = _read(pictures, "plate.exr"), _read(pictures, "painting.exr")
    options = KeyframeOptions(method="gatys", iterations=4, max_size=32, torch_device="cpu")
    with BackendClient(server.address) as client:
        done = client.keyframe(plate, [painting], params=keyframe_message(options))
    weights = str(models / "vgg19.pth")
    local = make_keyframe(plate, [painting], options=options.replace(weights=weights))
    assert done.image.shape == local.image.shape and done.evaluations == len(local.losses) > 0
    # Torch's CPU kernels may differ by thread count between processes: close, not equal.
    assert np.abs(done.image - local.image).max() < 1e-3


def test_cancel(module_server, pictures: Path) -> None:
    """Cancel during the synthesis ends the call; the same keyframe is made afterwards."""
    plate = cv2.resize(_read(pictures, "plate.exr"), (SIZE[0] * 4, SIZE[1] * 4))
    painting = _read(pictures, "painting.exr")
    with BackendClient(module_server.address) as client:
        other = BackendClient(module_server.address)
        other.session_id = client.session_id

        def cancel_at_first_step(event: pb.Progress) -> None:
            if event.stage == "synthesis":
                other.cancel("keyframe-1")

        with pytest.raises(ServiceCancelledError):
            client.keyframe(plate, [painting], progress=cancel_at_first_step,
                            request_id="keyframe-1")  # fmt: skip
        small = _read(pictures, "plate.exr")
        assert client.keyframe(small, [painting]).image.shape == (SIZE[1], SIZE[0], 4)
        other.close()


def test_exception(module_server, pictures: Path, tmp_path: Path, capsys) -> None:
    plate, painting = _read(pictures, "plate.exr"), _read(pictures, "painting.exr")
    small_mask = np.ones((27, 48, 1), np.float32)
    gatys = pb.KeyframeParams(method=pb.KEYFRAME_METHOD_GATYS)
    cases = [
        ("references: no reference painting given", {"references": []}),
        ("the mask is 48x27, the plate is 96x54", {"mask": small_mask}),
        ("reference 1 is 4x4: smaller than one 7x7 patch",
         {"references": [np.ones((4, 4, 3), np.float32)]}),
        ("params.weights: method gatys needs VGG weights: put vgg19.pth in the backend's models "
         "directory", {"params": gatys}),
        ("params.weights: 'x.pth' needs a models directory",
         {"params": pb.KeyframeParams(method=pb.KEYFRAME_METHOD_GATYS, weights="x.pth")}),
        ("params.weights: '../vgg19.pth' must be a model file name (no directories)",
         {"params": pb.KeyframeParams(method=pb.KEYFRAME_METHOD_GATYS, weights="../vgg19.pth")}),
        ("engine.patch_size must be odd, got 4",
         {"params": pb.KeyframeParams(engine=pb.EngineParams(patch_size=4))}),
        ("output_scale must be <= 4, got 5.0", {"params": pb.KeyframeParams(output_scale=5)}),
        ("params.snapshot_every: the Keyframe call returns no snapshots",
         {"params": pb.KeyframeParams(snapshot_every=3)}),
    ]  # fmt: skip
    with BackendClient(module_server.address) as client:
        for expected, change in cases:
            call = {"references": [painting], **change}
            with pytest.raises(InvalidRequestError) as failure:
                client.keyframe(plate, **call)
            assert expected in str(failure.value), (expected, str(failure.value))
            assert len(str(failure.value).splitlines()) == 1

    # The same size mistake fails the CLI with the same words.
    write_image(tmp_path / "small.exr", small_mask, dtype="float")
    args = ["keyframe", "--frame", str(pictures / "plate.exr"), "--reference",
            str(pictures / "painting.exr"), "--out", str(tmp_path / "k.exr"),
            "--mask", str(tmp_path / "small.exr"), "--json"]  # fmt: skip
    assert main(args) == 2
    assert "the mask is 48x27, the plate is 96x54" in capsys.readouterr().err
