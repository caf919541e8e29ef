# SPDX-License-Identifier: Apache-2.0
"""VGG16/VGG19 in plain torch: torchvision-layout weights load, a wrong file is refused by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from synthfx.errors import InputError
from synthfx.keyframe.vgg import load_vgg

from .vgg_weights import random_vgg_state, save_state


@pytest.fixture(scope="module")
def vgg19_state() -> dict[str, torch.Tensor]:
    return random_vgg_state("vgg19")


def test_smoke(vgg19_state: dict, tmp_path: Path) -> None:
    state = dict(vgg19_state)
    state["classifier.0.weight"] = torch.zeros(2, 2)  # a full torchvision file has these
    path = save_state(state, tmp_path / "vgg19.pth")
    model = load_vgg(path, "vgg19")
    loaded = model.features.state_dict()
    assert all(torch.equal(value, vgg19_state[f"features.{k}"]) for k, value in loaded.items())
    assert len(loaded) == 32  # 16 convolutions
    image = torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(0))
    out = model(image, ["relu1_1", "pool2", "relu4_2", "relu5_4"])
    shapes = {name: tuple(t.shape) for name, t in out.items()}
    assert shapes == {
        "relu1_1": (1, 64, 32, 48),
        "pool2": (1, 128, 8, 12),
        "relu4_2": (1, 512, 4, 6),
        "relu5_4": (1, 512, 2, 3),
    }
    assert (out["relu1_1"] >= 0).all()
    # A truncated model (up to relu2_1) gives the same activations as the full one.
    shallow = load_vgg(path, "vgg19", depth=6)
    assert len(shallow.features) == 7
    np.testing.assert_array_equal(
        shallow(image, ["relu2_1"])["relu2_1"].numpy(), model(image, ["relu2_1"])["relu2_1"].numpy()
    )


def test_vgg16(tmp_path: Path) -> None:
    model = load_vgg(save_state(random_vgg_state("vgg16"), tmp_path / "vgg16.pth"), "vgg16")
    assert len(model.features.state_dict()) == 26


def test_exception(vgg19_state: dict, tmp_path: Path) -> None:
    def error(state: dict | None, network: str = "vgg19", name: str = "w.pth") -> str:
        path = tmp_path / name
        if state is not None:
            save_state(state, path)
        with pytest.raises(InputError) as raised:
            load_vgg(path, network)
        return str(raised.value).replace(str(path), "PATH")

    assert error(None, name="missing.pth") == (
        "VGG weights not found: PATH (give --weights PATH to a vgg19.pth)"
    )
    (tmp_path / "text.pth").write_text("not weights")
    assert error(None, name="text.pth") == (
        "cannot load VGG weights PATH: not a PyTorch state dict (UnpicklingError)"
    )
    truncated = {k: v for k, v in vgg19_state.items() if not k.startswith("features.34.")}
    assert error(truncated) == (
        "VGG weights PATH do not fit vgg19: features.34.weight (conv5_4) is missing"
    )
    misshaped = {**vgg19_state, "features.0.weight": torch.zeros(64, 4, 3, 3)}
    assert error(misshaped) == (
        "VGG weights PATH do not fit vgg19: features.0.weight (conv1_1) is (64, 4, 3, 3), "
        "vgg19 needs (64, 3, 3, 3)"
    )
    assert error(vgg19_state, network="vgg16") == (
        "VGG weights PATH do not fit vgg16: features.17.weight (conv4_1) is missing"
    )
    extra = {**vgg19_state, "features.1.weight": torch.zeros(1)}
    assert error(extra).startswith(
        "VGG weights PATH do not fit vgg19: unexpected key features.1.weight"
    )
