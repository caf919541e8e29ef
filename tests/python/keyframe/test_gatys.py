# SPDX-License-Identifier: Apache-2.0
"""The gatys method's mechanics on a VGG19 of seeded random weights and real frames: the
objective goes down, runs repeat bit for bit, the style loss of a reference against itself is
0, and each option moves the losses the way it should."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from synthfx.errors import CancelledError, InputError
from synthfx.keyframe import KeyframeOptions, make_keyframe
from synthfx.keyframe.gatys import style_loss, style_targets, to_tensor
from synthfx.keyframe.neural import cached_vgg

from .conftest import KnownAnswer

# Small images and few steps: the mechanics, not the look, are under test here.
SIZE = (64, 36)


@pytest.fixture(scope="module")
def images(known_answer: KnownAnswer) -> tuple[np.ndarray, np.ndarray]:
    plate = cv2.resize(known_answer.plate_b, SIZE, interpolation=cv2.INTER_AREA)
    reference = cv2.resize(known_answer.reference, SIZE, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(plate), np.ascontiguousarray(reference)


def gatys(weights: Path, **changes: object) -> KeyframeOptions:
    values: dict[str, object] = {
        "method": "gatys",
        "weights": str(weights),
        "iterations": 20,
        "torch_device": "cpu",
        **changes,
    }
    return KeyframeOptions(**values)  # type: ignore[arg-type]


def test_optimisation_lowers_the_loss(images: tuple, vgg19_weights: Path) -> None:
    plate, reference = images
    result = make_keyframe(plate, [reference], options=gatys(vgg19_weights))
    first, last = result.losses[0], result.losses[-1]
    assert 20 <= len(result.losses) <= 20 + 25
    assert last.total < 0.2 * first.total, (first, last)
    assert last.style < 0.1 * first.style, (first, last)  # the Gram loss drops at least 10x
    assert first.content == 0.0 and last.content < 0.5 * first.style  # starts at the plate
    assert result.image.shape == (36, 64, 3) and np.isfinite(result.image).all()


def test_same_seed_same_bits(images: tuple, vgg19_weights: Path) -> None:
    plate, reference = images
    options = gatys(vgg19_weights, init="noise", iterations=8, noise_seed=7)
    one = make_keyframe(plate, [reference], options=options)
    two = make_keyframe(plate, [reference], options=options)
    np.testing.assert_array_equal(one.image, two.image)
    assert one.losses == two.losses
    other = make_keyframe(plate, [reference], options=options.replace(noise_seed=8))
    assert not np.array_equal(one.image, other.image)


@pytest.mark.parametrize("threads", [2, 3])
def test_same_bits_for_any_thread_count(
    known_answer: KnownAnswer, vgg19_weights: Path, threads: int
) -> None:
    # Large enough that torch splits its reductions and matrix products between threads.
    plate = np.ascontiguousarray(cv2.resize(known_answer.plate_b, (128, 72)))
    reference = np.ascontiguousarray(cv2.resize(known_answer.reference, (128, 72)))
    options = gatys(vgg19_weights, init="noise", iterations=4, noise_seed=3)
    caller = torch.get_num_threads()
    results = []
    try:
        for count in (1, threads):
            torch.set_num_threads(count)  # the caller's torch setting must not matter
            engine = dataclasses.replace(options.engine, threads=count)  # nor the job's
            results.append(
                make_keyframe(plate, [reference], options=options.replace(engine=engine))
            )
    finally:
        torch.set_num_threads(caller)
    assert torch.get_num_threads() == caller
    np.testing.assert_array_equal(results[0].image, results[1].image)
    assert results[0].losses == results[1].losses


def test_style_loss_of_the_reference_against_itself_is_zero(
    images: tuple, vgg19_weights: Path
) -> None:
    plate, reference = images
    layers = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
    model = cached_vgg(vgg19_weights, "vgg19", 29)
    device = torch.device("cpu")
    targets = style_targets(model, [(to_tensor(reference, device), None)], [1.0], layers)
    weights = dict.fromkeys(layers, 1.0)
    itself = style_loss(model(to_tensor(reference, device), layers), targets, weights)
    against_plate = style_loss(model(to_tensor(plate, device), layers), targets, weights)
    assert float(itself) < 1e-12 * float(against_plate)
    assert float(against_plate) > 0


def test_options_move_the_losses(images: tuple, vgg19_weights: Path) -> None:
    plate, reference = images
    base = make_keyframe(plate, [reference], options=gatys(vgg19_weights)).losses[-1]
    # More style weight: the result's Gram loss (per unit weight) ends lower.
    strong = make_keyframe(
        plate, [reference], options=gatys(vgg19_weights, style_weight=1e8)
    ).losses[-1]
    assert strong.style / 1e8 < base.style / 1e6
    # TV on: a smoother result than with TV off.
    smooth = make_keyframe(plate, [reference], options=gatys(vgg19_weights, tv_weight=1e-2))
    rough = make_keyframe(plate, [reference], options=gatys(vgg19_weights, tv_weight=0.0))

    def roughness(image: np.ndarray) -> float:
        return float(np.abs(np.diff(image, axis=1)).mean())

    assert roughness(smooth.image) < roughness(rough.image)
    assert rough.losses[-1].tv == 0.0
    # Adam works too and also lowers the loss.
    adam = make_keyframe(plate, [reference], options=gatys(vgg19_weights, optimizer="adam"))
    assert adam.losses[-1].total < adam.losses[0].total


def test_feature_inversion_from_noise(images: tuple, vgg19_weights: Path) -> None:
    plate, reference = images
    options = gatys(vgg19_weights, content_layers="none", style_layers="conv3_3", init="noise")
    result = make_keyframe(plate, [reference], options=options)
    assert all(losses.content == 0.0 for losses in result.losses)
    assert result.losses[-1].style < 0.1 * result.losses[0].style


def test_multi_style_and_mask(images: tuple, vgg19_weights: Path) -> None:
    plate, reference = images
    second = np.ascontiguousarray(reference[..., ::-1])
    options = gatys(vgg19_weights, reference_weights=(1.0, 1.0))
    both = make_keyframe(plate, [reference, second], options=options)
    assert both.losses[-1].style < 0.1 * both.losses[0].style
    # A reference of weight 0 adds nothing to the Gram targets: the run is the single one's.
    only_first = make_keyframe(
        plate, [reference, second], options=gatys(vgg19_weights, reference_weights=(1.0, 0.0))
    )
    alone = make_keyframe(plate, [reference], options=gatys(vgg19_weights))
    assert only_first.losses == alone.losses
    np.testing.assert_array_equal(only_first.image, alone.image)
    assert both.losses[0].style != alone.losses[0].style
    mask = np.zeros(plate.shape[:2], np.float32)
    mask[:, :32] = 1.0
    masked = make_keyframe(plate, [reference], mask=mask, options=gatys(vgg19_weights))
    np.testing.assert_array_equal(masked.image[:, 32:], plate[:, 32:])


def test_larger_plate_is_upsampled_by_synthesis(images: tuple, vgg19_weights: Path) -> None:
    plate, reference = images
    big = np.ascontiguousarray(cv2.resize(plate, (128, 72), interpolation=cv2.INTER_CUBIC))
    result = make_keyframe(big, [reference], options=gatys(vgg19_weights, max_size=64))
    assert result.image.shape == (72, 128, 3)
    stages = []
    make_keyframe(
        big,
        [reference],
        options=gatys(vgg19_weights, max_size=64, iterations=2),
        progress=lambda event: stages.append(event.stage),
    )
    assert stages[0] == "optimisation" and stages[-1] == "upsampling"


def test_cancel(images: tuple, vgg19_weights: Path) -> None:
    plate, reference = images
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError, match="style optimisation"):
        make_keyframe(plate, [reference], options=gatys(vgg19_weights), cancel=cancel)


def test_exception(images: tuple, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plate, reference = images
    with pytest.raises(InputError, match="VGG weights not found"):
        make_keyframe(plate, [reference], options=gatys(tmp_path / "none.pth"))
    with pytest.raises(InputError, match="no layer 'relu5_4'"):
        gatys(tmp_path, network="vgg16", style_layers="relu5_4")
    real_find_spec = importlib.util.find_spec

    def without_torch(name: str, *args: object) -> object:
        return None if name == "torch" else real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", without_torch)
    with pytest.raises(InputError) as raised:
        make_keyframe(plate, [reference], options=gatys(tmp_path / "none.pth"))
    assert str(raised.value) == (
        "--method gatys needs torch, which is not installed: run ./setup.sh (it installs "
        "torch) or use --method patch"
    )


@pytest.mark.skipif(
    not os.environ.get("SYNTHFX_VGG_WEIGHTS"), reason="SYNTHFX_VGG_WEIGHTS names no weights"
)
def test_real_weights(known_answer: KnownAnswer) -> None:
    options = gatys(Path(os.environ["SYNTHFX_VGG_WEIGHTS"]), iterations=100)
    result = make_keyframe(known_answer.plate_b, [known_answer.reference], options=options)
    assert result.losses[-1].style < 0.1 * result.losses[0].style
