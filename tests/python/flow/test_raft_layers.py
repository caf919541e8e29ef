# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
import torch

from synthfx.flow.raft_layers import (
    BottleneckBlock,
    ConvGRU,
    SmallEncoder,
    SmallUpdateBlock,
)


def test_encoder_shapes() -> None:
    image = torch.rand(2, 3, 64, 96) * 2 - 1
    assert SmallEncoder(128, "instance")(image).shape == (2, 128, 8, 12)
    assert SmallEncoder(160, "none")(image).shape == (2, 160, 8, 12)


def test_bottleneck_shapes() -> None:
    x = torch.rand(1, 32, 16, 16)
    assert BottleneckBlock(32, 32, "none")(x).shape == (1, 32, 16, 16)
    strided = BottleneckBlock(32, 64, "instance", stride=2)
    assert strided(x).shape == (1, 64, 8, 8)
    assert strided.downsample is not None and BottleneckBlock(32, 32, "none").downsample is None


def test_instance_norm_encoder_ignores_gain() -> None:
    # Instance norm after the first conv makes features blind to a global gain, up to the zero
    # padding at the borders: compare the centre only.
    torch.manual_seed(0)
    encoder = SmallEncoder(128, "instance").eval()
    image = torch.rand(1, 3, 128, 128) - 0.5
    with torch.no_grad():
        plain, brighter = encoder(image), encoder(image * 1.5)
    centre = (slice(None), slice(None), slice(4, 12), slice(4, 12))
    assert torch.allclose(plain[centre], brighter[centre], atol=0.05)


def test_gru_keeps_state_when_update_gate_closed() -> None:
    gru = ConvGRU(hidden_dim=4, input_dim=3)
    with torch.no_grad():
        gru.convz.weight.zero_()
        gru.convz.bias.fill_(-50.0)  # sigmoid -> 0: no update
    hidden = torch.rand(1, 4, 5, 5)
    assert torch.allclose(gru(hidden, torch.rand(1, 3, 5, 5)), hidden)


def test_update_block_shapes() -> None:
    block = SmallUpdateBlock(corr_channels=196)
    hidden, delta = block(
        torch.rand(1, 96, 6, 7),
        torch.rand(1, 64, 6, 7),
        torch.rand(1, 196, 6, 7),
        torch.rand(1, 2, 6, 7),
    )
    assert hidden.shape == (1, 96, 6, 7) and delta.shape == (1, 2, 6, 7)


def test_exception() -> None:
    with pytest.raises(ValueError, match="unknown norm 'batch'"):
        SmallEncoder(128, "batch")
