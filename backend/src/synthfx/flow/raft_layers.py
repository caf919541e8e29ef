# SPDX-License-Identifier: Apache-2.0
"""Building blocks of RAFT-small (Teed & Deng, ECCV 2020), in plain torch.

Module and parameter names follow the published RAFT-small state dict so that its weights load
with ``strict=True``; the channel widths below are the ones its tensors have (feature encoder
32-64-96 -> 128, context encoder -> 96 hidden + 64 context, GRU hidden 96).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _norm(kind: str, channels: int) -> nn.Module:
    """Instance norm (no affine parameters, as in RAFT) or no norm at all."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}")


class BottleneckBlock(nn.Module):
    """Residual bottleneck: 1x1 down to planes/4, 3x3 (carries the stride), 1x1 up to planes.

    Input (B, in_planes, H, W) -> output (B, planes, H / stride, W / stride).
    """

    def __init__(self, in_planes: int, planes: int, norm: str, stride: int = 1) -> None:
        super().__init__()
        inner = planes // 4
        self.conv1 = nn.Conv2d(in_planes, inner, kernel_size=1)
        self.conv2 = nn.Conv2d(inner, inner, kernel_size=3, padding=1, stride=stride)
        self.conv3 = nn.Conv2d(inner, planes, kernel_size=1)
        self.norm1, self.norm2, self.norm3 = (_norm(norm, c) for c in (inner, inner, planes))
        # Only strided blocks change shape, so only they need a projected shortcut.
        self.downsample: nn.Module | None = None
        if stride != 1:
            self.downsample = nn.Sequential(
                nn.Conv2d(in_planes, planes, kernel_size=1, stride=stride), _norm(norm, planes)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x)))
        y = F.relu(self.norm2(self.conv2(y)))
        y = F.relu(self.norm3(self.conv3(y)))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(shortcut + y)


class SmallEncoder(nn.Module):
    """Image -> features at 1/8 resolution.

    Input (B, 3, H, W) in [-1, 1], H and W multiples of 8 -> (B, output_dim, H/8, W/8).
    """

    def __init__(self, output_dim: int, norm: str) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=7, stride=2, padding=3)
        self.norm1 = _norm(norm, 32)
        self.layer1 = self._layer(32, 32, norm, stride=1)
        self.layer2 = self._layer(32, 64, norm, stride=2)
        self.layer3 = self._layer(64, 96, norm, stride=2)
        self.conv2 = nn.Conv2d(96, output_dim, kernel_size=1)

    @staticmethod
    def _layer(in_planes: int, planes: int, norm: str, stride: int) -> nn.Sequential:
        return nn.Sequential(
            BottleneckBlock(in_planes, planes, norm, stride=stride),
            BottleneckBlock(planes, planes, norm, stride=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.norm1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.conv2(x)


class SmallMotionEncoder(nn.Module):
    """Correlation features and current flow -> motion features.

    Inputs flow (B, 2, h, w) and corr (B, corr_channels, h, w) -> (B, 82, h, w): 80 learned
    channels followed by the flow itself.
    """

    def __init__(self, corr_channels: int) -> None:
        super().__init__()
        self.convc1 = nn.Conv2d(corr_channels, 96, kernel_size=1)
        self.convf1 = nn.Conv2d(2, 64, kernel_size=7, padding=3)
        self.convf2 = nn.Conv2d(64, 32, kernel_size=3, padding=1)
        self.conv = nn.Conv2d(96 + 32, 80, kernel_size=3, padding=1)

    def forward(self, flow: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
        corr_features = F.relu(self.convc1(corr))
        flow_features = F.relu(self.convf2(F.relu(self.convf1(flow))))
        motion = F.relu(self.conv(torch.cat([corr_features, flow_features], dim=1)))
        return torch.cat([motion, flow], dim=1)


class ConvGRU(nn.Module):
    """Convolutional GRU cell with 3x3 gates: hidden (B, hidden, h, w), input (B, input, h, w)."""

    def __init__(self, hidden_dim: int, input_dim: int) -> None:
        super().__init__()
        channels = hidden_dim + input_dim
        self.convz = nn.Conv2d(channels, hidden_dim, kernel_size=3, padding=1)
        self.convr = nn.Conv2d(channels, hidden_dim, kernel_size=3, padding=1)
        self.convq = nn.Conv2d(channels, hidden_dim, kernel_size=3, padding=1)

    def forward(self, hidden: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        hx = torch.cat([hidden, x], dim=1)
        update = torch.sigmoid(self.convz(hx))
        reset = torch.sigmoid(self.convr(hx))
        candidate = torch.tanh(self.convq(torch.cat([reset * hidden, x], dim=1)))
        return (1 - update) * hidden + update * candidate


class FlowHead(nn.Module):
    """GRU state (B, input_dim, h, w) -> flow update (B, 2, h, w)."""

    def __init__(self, input_dim: int, hidden_dim: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(input_dim, hidden_dim, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(hidden_dim, 2, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(F.relu(self.conv1(x)))


class SmallUpdateBlock(nn.Module):
    """One refinement step: motion encoder, ConvGRU, flow head.

    RAFT-small has no learned upsampling mask; the network upsamples flow bilinearly.
    """

    def __init__(self, corr_channels: int, hidden_dim: int = 96, context_dim: int = 64) -> None:
        super().__init__()
        self.encoder = SmallMotionEncoder(corr_channels)
        self.gru = ConvGRU(hidden_dim, input_dim=context_dim + 82)
        self.flow_head = FlowHead(hidden_dim, hidden_dim=128)

    def forward(
        self, hidden: torch.Tensor, context: torch.Tensor, corr: torch.Tensor, flow: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns the new hidden state (B, 96, h, w) and the flow update (B, 2, h, w)."""
        motion = self.encoder(flow, corr)
        hidden = self.gru(hidden, torch.cat([context, motion], dim=1))
        return hidden, self.flow_head(hidden)
