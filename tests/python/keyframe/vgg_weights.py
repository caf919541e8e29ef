# SPDX-License-Identifier: Apache-2.0
"""A VGG state dict of seeded random weights in torchvision's key layout (no real weights are
available to the tests): He-normal convolutions, so activations keep their scale with depth."""

from __future__ import annotations

from pathlib import Path

import torch

from synthfx.keyframe import vgg_layers

SEED = 1234


def random_vgg_state(network: str, seed: int = SEED) -> dict[str, torch.Tensor]:
    """``features.N.weight`` / ``features.N.bias`` of every convolution, from ``seed``."""
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for layer in vgg_layers(network):
        if layer.kind != "conv":
            continue
        fan_in = layer.in_channels * 9
        shape = (layer.out_channels, layer.in_channels, 3, 3)
        weight = torch.randn(shape, generator=generator) * (2.0 / fan_in) ** 0.5
        state[f"features.{layer.features_index}.weight"] = weight
        state[f"features.{layer.features_index}.bias"] = torch.zeros(layer.out_channels)
    return state


def save_state(state: dict[str, torch.Tensor], path: Path) -> Path:
    torch.save(state, path)
    return path
