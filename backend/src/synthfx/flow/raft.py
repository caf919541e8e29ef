# SPDX-License-Identifier: Apache-2.0
"""RAFT-small optical flow (Teed & Deng, "RAFT: Recurrent All-Pairs Field Transforms", 2020).

The network is rebuilt here in plain torch and loads the published RAFT-small state dict
(990,162 parameters) exactly. Small-model specifics: feature/context encoders of bottleneck
blocks (instance norm / no norm), 4-level correlation pyramid with radius 3, a 96-channel
ConvGRU, and flow upsampled 8x bilinearly (no learned convex upsampling).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from synthfx.errors import DeviceUnavailableError, InputError
from synthfx.flow.base import check_frame_pair, to_rgb
from synthfx.flow.raft_corr import make_correlation
from synthfx.flow.raft_layers import SmallEncoder, SmallUpdateBlock
from synthfx.io.digest import file_digest

CORR_LEVELS = 4
CORR_RADIUS = 3
HIDDEN_DIM = 96
CONTEXT_DIM = 64
# Three pooling steps of the 1/8-resolution correlation must leave at least 2x2 for bilinear
# sampling, so frames are padded to at least 8 * 2 * 2**3 pixels per side.
MIN_SIDE = 128


class RaftSmall(nn.Module):
    """The RAFT-small network.

    Input: two (B, 3, H, W) images in [-1, 1], H and W multiples of 8.
    Output: (B, 2, H, W) flow from image 1 to image 2, in pixels, (dx, dy) channels.
    """

    def __init__(self) -> None:
        super().__init__()
        self.fnet = SmallEncoder(output_dim=128, norm="instance")
        self.cnet = SmallEncoder(output_dim=HIDDEN_DIM + CONTEXT_DIM, norm="none")
        corr_channels = CORR_LEVELS * (2 * CORR_RADIUS + 1) ** 2
        self.update_block = SmallUpdateBlock(corr_channels, HIDDEN_DIM, CONTEXT_DIM)

    @staticmethod
    def _pixel_grid(batch: int, height: int, width: int, device: torch.device) -> torch.Tensor:
        ys, xs = torch.meshgrid(
            torch.arange(height, dtype=torch.float32, device=device),
            torch.arange(width, dtype=torch.float32, device=device),
            indexing="ij",
        )
        return torch.stack([xs, ys]).expand(batch, 2, height, width)

    def forward(
        self, image1: torch.Tensor, image2: torch.Tensor, iters: int = 12, corr_mode: str = "auto"
    ) -> torch.Tensor:
        batch = image1.shape[0]
        # One encoder pass for both frames; instance norm keeps them independent.
        fmap1, fmap2 = self.fnet(torch.cat([image1, image2])).split(batch)
        correlation = make_correlation(fmap1, fmap2, corr_mode, CORR_LEVELS, CORR_RADIUS)
        hidden, context = self.cnet(image1).split([HIDDEN_DIM, CONTEXT_DIM], dim=1)
        hidden, context = torch.tanh(hidden), F.relu(context)

        height, width = fmap1.shape[-2:]
        coords0 = self._pixel_grid(batch, height, width, image1.device)
        coords1 = coords0.clone()
        for _ in range(iters):
            flow = coords1 - coords0
            hidden, delta = self.update_block(hidden, context, correlation(coords1), flow)
            coords1 = coords1 + delta
        flow = coords1 - coords0
        return 8.0 * F.interpolate(
            flow, size=(8 * height, 8 * width), mode="bilinear", align_corners=True
        )


def _load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise InputError(f"RAFT weights not found: {path}")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for corrupt or foreign files
        # Their text can be a bare key ("101") or a page of advice: the type says enough.
        raise InputError(
            f"cannot load RAFT weights {path}: not a PyTorch state dict ({type(error).__name__})"
        ) from error
    if not isinstance(loaded, dict) or not all(
        isinstance(value, torch.Tensor) for value in loaded.values()
    ):
        raise InputError(f"RAFT weights {path} are not a state dict of tensors")
    # Checkpoints saved from nn.DataParallel prefix every key with "module.".
    return {key.removeprefix("module."): value for key, value in loaded.items()}


def _list(keys: list[str], limit: int = 5) -> str:
    shown = ", ".join(keys[:limit])
    return shown + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")


def load_raft_small(path: str | os.PathLike[str]) -> RaftSmall:
    """A RaftSmall in eval mode with the weights of ``path`` (strict).

    Raises:
        InputError: Missing/unloadable file, or a state dict that does not match the network
            (names missing and unexpected keys and shape mismatches).
    """
    path = Path(path)
    state = _load_state_dict(path)
    model = RaftSmall()
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    mismatched = sorted(
        f"{key} {tuple(state[key].shape)} vs {tuple(expected[key].shape)}"
        for key in set(state) & set(expected)
        if state[key].shape != expected[key].shape
    )
    problems = [
        f"{label}: {_list(keys)}"
        for label, keys in (
            ("missing keys", missing),
            ("unexpected keys", unexpected),
            ("shape mismatches (file vs network)", mismatched),
        )
        if keys
    ]
    if problems:
        raise InputError(f"RAFT weights {path} do not match RAFT-small: " + "; ".join(problems))
    model.load_state_dict(state, strict=True)
    return model.eval()


def resolve_device(device: str) -> torch.device:
    """ "cpu", "cuda", "cuda:N" or "auto" (CUDA when available) as a torch device.

    Raises:
        DeviceUnavailableError: CUDA asked for but not available.
        InputError: Anything else.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError as error:
        raise InputError(f"invalid device {device!r}: use cpu, cuda, cuda:N or auto") from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailableError(f"device {device!r} asked for, but CUDA is not available")
    if resolved.type not in ("cpu", "cuda"):
        raise InputError(f"invalid device {device!r}: use cpu, cuda, cuda:N or auto")
    return resolved


def _padding(size: int) -> tuple[int, int]:
    """(before, after) replicate padding to a multiple of 8 and at least MIN_SIDE, centred."""
    target = max(MIN_SIDE, -(-size // 8) * 8)
    total = target - size
    return total // 2, total - total // 2


class RaftFlow:
    """RAFT-small flow estimator.

    Args:
        weights_path: The RAFT-small state dict (``raft-small.pth``).
        device: "cpu" (default), "cuda", "cuda:N" or "auto".
        iters: Refinement iterations (12 as in the paper's evaluation).
        corr_mode: "auto", "all-pairs" or "on-demand" (see ``raft_corr``); same results,
            "on-demand" bounds memory for large frames.

    Raises:
        InputError: Missing or mismatching weights, bad arguments.
        DeviceUnavailableError: CUDA asked for but not available.
    """

    def __init__(
        self,
        weights_path: str | os.PathLike[str],
        device: str = "cpu",
        iters: int = 12,
        corr_mode: str = "auto",
    ) -> None:
        if iters < 1:
            raise InputError(f"RAFT iters must be at least 1, got {iters}")
        if corr_mode not in ("auto", "all-pairs", "on-demand"):
            raise InputError(f"unknown correlation mode {corr_mode!r}")
        self.weights_path = Path(weights_path)
        self.device = resolve_device(device)
        self.model = load_raft_small(self.weights_path).to(self.device)
        self.iters = iters
        self.corr_mode = corr_mode
        self.spec = f"raft:{self.weights_path}"
        weights_digest = file_digest(self.weights_path)[:16]
        self.fingerprint = f"raft-small:iters={iters}:weights-blake3={weights_digest}"

    def __repr__(self) -> str:
        path, device = str(self.weights_path), str(self.device)
        return f"RaftFlow({path!r}, device={device!r}, iters={self.iters})"

    def _to_tensor(self, frame: np.ndarray) -> torch.Tensor:
        rgb = torch.from_numpy(np.ascontiguousarray(to_rgb(frame).transpose(2, 0, 1)))
        return (rgb[None] * 2.0 - 1.0).to(self.device)

    def compute(self, frame_a: np.ndarray, frame_b: np.ndarray) -> np.ndarray:
        """Flow from A to B.

        Args:
            frame_a: (H, W, 3) float32 RGB in [0, 1] (also (H, W), (H, W, 1|4)); clipped.
            frame_b: Same shape as ``frame_a``.

        Returns:
            (H, W, 2) float32 ``flow_ab``: pixel (x, y) of A is at ``(x, y) + flow_ab[y, x]`` in B.
        """
        check_frame_pair(frame_a, frame_b)
        height, width = frame_a.shape[:2]
        top, bottom = _padding(height)
        left, right = _padding(width)
        pad = (left, right, top, bottom)
        image1 = F.pad(self._to_tensor(frame_a), pad, mode="replicate")
        image2 = F.pad(self._to_tensor(frame_b), pad, mode="replicate")
        with torch.inference_mode():
            flow = self.model(image1, image2, iters=self.iters, corr_mode=self.corr_mode)
        flow = flow[0, :, top : top + height, left : left + width]
        return np.ascontiguousarray(flow.permute(1, 2, 0).cpu().numpy(), dtype=np.float32)
