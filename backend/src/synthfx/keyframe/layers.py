# SPDX-License-Identifier: Apache-2.0
"""The layers of VGG16 and VGG19 (Simonyan & Zisserman 2015) by name, without torch.

The names follow the paper's blocks: ``conv3_2`` is the second convolution of block 3,
``relu3_2`` its rectified output, ``pool3`` the pooling that ends the block. ``features_index``
is the position in torchvision's ``features`` Sequential, which is how the state dict's keys
(``features.0.weight`` ...) name the convolutions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from synthfx.errors import InputError

# Output channels of each block's convolutions (the number of entries is the block's depth).
BLOCKS: dict[str, tuple[tuple[int, ...], ...]] = {
    "vgg16": ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
    "vgg19": (
        (64, 64),
        (128, 128),
        (256, 256, 256, 256),
        (512, 512, 512, 512),
        (512, 512, 512, 512),
    ),
}
KINDS = ("conv", "relu", "pool")


@dataclass(frozen=True)
class Layer:
    """One layer of a VGG's ``features``.

    Attributes:
        name: ``conv1_1``, ``relu1_1`` ... ``pool5``.
        kind: "conv", "relu" or "pool".
        features_index: its index in torchvision's ``features``.
        in_channels, out_channels: of a convolution (0 for the others).
    """

    name: str
    kind: str
    features_index: int
    in_channels: int = 0
    out_channels: int = 0


@cache
def vgg_layers(network: str) -> tuple[Layer, ...]:
    """Every layer of ``network`` ("vgg16" or "vgg19") in order."""
    if network not in BLOCKS:
        raise InputError(f"network must be one of {', '.join(map(repr, BLOCKS))}; got {network!r}")
    layers: list[Layer] = []
    channels = 3
    for block, widths in enumerate(BLOCKS[network], start=1):
        for position, width in enumerate(widths, start=1):
            index = len(layers)
            layers.append(Layer(f"conv{block}_{position}", "conv", index, channels, width))
            layers.append(Layer(f"relu{block}_{position}", "relu", index + 1))
            channels = width
        layers.append(Layer(f"pool{block}", "pool", len(layers)))
    return tuple(layers)


def layer_index(network: str, name: str) -> int:
    """The position of layer ``name`` in ``network``.

    Raises:
        InputError: no such layer; the message lists the network's layer names' range.
    """
    for layer in vgg_layers(network):
        if layer.name == name:
            return layer.features_index
    last = [layer.name for layer in vgg_layers(network) if layer.kind == "relu"][-1]
    raise InputError(
        f"{network} has no layer {name!r}: use conv1_1 ... {last.replace('relu', 'conv')}, "
        f"relu1_1 ... {last} or pool1 ... pool5"
    )
