# SPDX-License-Identifier: Apache-2.0
"""VGG16 and VGG19's convolutional part in plain torch, loading torchvision-layout weights.

The module mirrors torchvision's ``features`` Sequential (3x3 convolutions with padding 1,
ReLU, 2x2 max pooling), so its state dict keys are ``features.0.weight``, ``features.0.bias``
... as in torchvision's published files; the classifier's keys in such a file are ignored. The
weights come from a file the user names and are never downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from synthfx.errors import InputError
from synthfx.keyframe.layers import Layer, layer_index, vgg_layers

# The ImageNet statistics torchvision's VGG weights were trained with (RGB in [0, 1]).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Keys of a torchvision VGG file the features do not use.
_IGNORED_PREFIXES = ("classifier.",)


def _module(layer: Layer) -> nn.Module:
    if layer.kind == "conv":
        return nn.Conv2d(layer.in_channels, layer.out_channels, kernel_size=3, padding=1)
    if layer.kind == "relu":
        return nn.ReLU()
    return nn.MaxPool2d(kernel_size=2, stride=2)


class VggFeatures(nn.Module):
    """The layers of a VGG up to the deepest one asked for.

    Input: (B, 3, H, W) RGB in [0, 1] (normalised with the ImageNet statistics inside).
    Output of ``forward(image, names)``: layer name -> (B, C, H', W') activation.
    """

    def __init__(self, network: str, depth: int | None = None) -> None:
        super().__init__()
        layers = vgg_layers(network)
        self.network = network
        self.layers = layers if depth is None else layers[: depth + 1]
        self.features = nn.Sequential(*(_module(layer) for layer in self.layers))
        self.mean: torch.Tensor
        self.std: torch.Tensor
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def forward(self, image: torch.Tensor, names: Iterable[str]) -> dict[str, torch.Tensor]:
        wanted = {layer_index(self.network, name): name for name in names}
        if wanted and max(wanted) >= len(self.layers):
            raise InputError(f"layer {wanted[max(wanted)]} is deeper than this network was built")
        out: dict[str, torch.Tensor] = {}
        x = (image - self.mean) / self.std
        for index, module in enumerate(self.features):
            if len(out) == len(wanted):
                break
            x = module(x)
            if index in wanted:
                out[wanted[index]] = x
        return out


def _read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise InputError(f"VGG weights not found: {path} (give --weights PATH to a vgg19.pth)")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt or foreign files
        raise InputError(
            f"cannot load VGG weights {path}: not a PyTorch state dict ({type(error).__name__})"
        ) from error
    if not isinstance(loaded, dict) or not all(
        isinstance(value, torch.Tensor) for value in loaded.values()
    ):
        raise InputError(f"VGG weights {path} are not a state dict of tensors")
    # Checkpoints saved from nn.DataParallel prefix every key with "module.".
    return {str(key).removeprefix("module."): value for key, value in loaded.items()}


def _expected_shapes(network: str) -> dict[str, tuple[int, ...]]:
    """``features`` key (without the prefix) -> shape, in the network's order."""
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in vgg_layers(network):
        if layer.kind == "conv":
            index, out = layer.features_index, layer.out_channels
            shapes[f"{index}.weight"] = (out, layer.in_channels, 3, 3)
            shapes[f"{index}.bias"] = (out,)
    return shapes


def _key_order(key: str) -> tuple[int, str]:
    """features keys in layer order ("2.weight" before "10.weight")."""
    head = key.split(".")[0]
    return (int(head) if head.isdigit() else 1 << 30, key)


def _layer_of(network: str, key: str) -> str:
    index = int(key.split(".")[1])
    return next(layer.name for layer in vgg_layers(network) if layer.features_index == index)


def load_vgg(path: str | os.PathLike[str], network: str, depth: int | None = None) -> VggFeatures:
    """A VGG's features in eval mode with the weights of ``path``, gradients off.

    Args:
        path: a torchvision-layout state dict (``vgg19-dcbb9e9d.pth``); every ``features``
            key of the network must be there with its shape.
        network: "vgg16" or "vgg19".
        depth: build only the layers up to this ``features`` index (all: None).

    Raises:
        InputError: a missing or unreadable file, or a state dict of another architecture;
            the message names the first missing, mis-shaped or unexpected key.
    """
    path = Path(path)
    state = _read_state_dict(path)
    expected = _expected_shapes(network)
    given = {
        key.removeprefix("features."): value
        for key, value in state.items()
        if key.startswith("features.")
    }
    for key, value in expected.items():
        name = f"features.{key}"
        if key not in given:
            raise InputError(
                f"VGG weights {path} do not fit {network}: {name} ({_layer_of(network, name)}) "
                f"is missing"
            )
        if tuple(given[key].shape) != value:
            raise InputError(
                f"VGG weights {path} do not fit {network}: {name} ({_layer_of(network, name)}) "
                f"is {tuple(given[key].shape)}, {network} needs {value}"
            )
    unexpected = sorted(set(given) - set(expected), key=_key_order)
    others = sorted(k for k in state if not k.startswith(("features.", *_IGNORED_PREFIXES)))
    if unexpected or others:
        first = f"features.{unexpected[0]}" if unexpected else others[0]
        raise InputError(
            f"VGG weights {path} do not fit {network}: unexpected key {first} "
            f"(is it another network's file? use --network vgg16 or vgg19)"
        )
    model = VggFeatures(network, depth)
    kept = {key: given[key] for key in model.features.state_dict()}
    model.features.load_state_dict(kept, strict=True)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model.eval()
