# SPDX-License-Identifier: Apache-2.0
"""KeyframeOptions: validation messages, layer names, weights, round trip."""

from __future__ import annotations

import pytest

from synthfx.errors import InputError
from synthfx.keyframe import KeyframeOptions, layer_index, vgg_layers


def test_smoke() -> None:
    options = KeyframeOptions()
    assert (options.method, options.content_layer_names()) == ("patch", ("relu4_2",))
    assert options.layer_weights(5) == (1.0,) * 5
    assert options.learning_rate() == 1.0
    assert options.replace(optimizer="adam").learning_rate() == 0.02
    assert options.reference_shares(4) == (0.25,) * 4
    assert KeyframeOptions(reference_weights=(3, 1)).reference_shares(2) == (0.75, 0.25)
    inversion = KeyframeOptions(content_layers="none", style_layers="conv3_3", init="noise")
    assert inversion.content_layer_names() == ()


def test_round_trip() -> None:
    options = KeyframeOptions(
        method="gatys", reference_weights=(1.0, 2.0), style_layer_weights="1,2,3,4,5"
    )
    assert KeyframeOptions.from_dict(options.to_dict()) == options
    with pytest.raises(InputError, match="unknown keyframe option"):
        KeyframeOptions.from_dict({"colour": 1})


def test_layers() -> None:
    names = [layer.name for layer in vgg_layers("vgg19")]
    assert len(names) == 37 and names[:5] == ["conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1"]
    assert layer_index("vgg19", "relu4_2") == 22 and layer_index("vgg16", "relu4_2") == 20
    assert layer_index("vgg16", "pool5") == 30


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"method": "neural"}, "method must be one of 'patch', 'gatys'; got 'neural'"),
        ({"style_layers": "relu9_1"}, "vgg19 has no layer 'relu9_1': use conv1_1 ... conv5_4"),
        ({"network": "vgg16", "style_layers": "conv3_4"}, "vgg16 has no layer 'conv3_4'"),
        ({"style_layers": "none"}, "style_layers must name at least one layer"),
        ({"style_layer_weights": "1,2"}, "style_layer_weights has 2 values for 5 style layers"),
        ({"style_layer_weights": "1,a,1,1,1"}, "style_layer_weights must be comma-separated"),
        ({"reference_weights": (1.0, -1.0)}, "reference weights must be finite and >= 0"),
        ({"reference_weights": (0.0, 0.0)}, "reference weights must not all be 0"),
        ({"output_scale": 5.0}, "output_scale must be <= 4, got 5.0"),
        ({"iterations": 0}, "iterations must be >= 1, got 0"),
        ({"tv_weight": float("nan")}, "tv_weight must be finite and >= 0, got nan"),
    ],
)
def test_exception(changes: dict, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("...", r"\.\.\.")):
        KeyframeOptions(**changes)
