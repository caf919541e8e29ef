# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch

from synthfx.errors import DeviceUnavailableError, InputError
from synthfx.flow.dis import DisFlow
from synthfx.flow.evaluation import SyntheticPair, end_point_error, synthetic_pair
from synthfx.flow.raft import RaftFlow, RaftSmall, load_raft_small

BORDER = 16
# Mean interior EPE measured on this 256x320 case (max displacement 4 px, seed 0):
# RAFT-small 0.35 px (seeds 0-2 at 3-6 px: 0.30-0.51), DIS-medium 0.09 px, zero flow 1.5 px.
RAFT_EPE_BOUND = 0.5
DIS_EPE_BOUND = 0.15


@pytest.fixture(scope="module")
def raft(raft_small_weights: Path) -> RaftFlow:
    return RaftFlow(raft_small_weights)


@pytest.fixture(scope="module")
def pair(small_photo: np.ndarray) -> SyntheticPair:
    return synthetic_pair(small_photo, 4.0, seed=0)


def test_loads_shared_weights(raft_small_weights: Path) -> None:
    model = load_raft_small(raft_small_weights)
    assert sum(p.numel() for p in model.parameters()) == 990_162
    on_disk = torch.load(raft_small_weights, map_location="cpu", weights_only=True)
    assert len(model.state_dict()) == len(on_disk) == 106
    for key, value in on_disk.items():
        assert torch.equal(model.state_dict()[key.removeprefix("module.")], value)
    assert not model.training


def test_recovers_synthetic_warp(raft: RaftFlow, pair: SyntheticPair) -> None:
    flow = raft.compute(pair.frame_a, pair.frame_b)
    assert flow.shape == (256, 320, 2) and flow.dtype == np.float32
    zero_error = end_point_error(np.zeros_like(flow), pair.flow_ab, border=BORDER)
    raft_error = end_point_error(flow, pair.flow_ab, border=BORDER)
    dis_error = end_point_error(
        DisFlow().compute(pair.frame_a, pair.frame_b), pair.flow_ab, border=BORDER
    )
    assert zero_error > 1.0
    assert raft_error < RAFT_EPE_BOUND
    assert dis_error < DIS_EPE_BOUND


def test_more_iterations_do_not_hurt(raft_small_weights: Path, pair: SyntheticPair) -> None:
    one = RaftFlow(raft_small_weights, iters=1).compute(pair.frame_a, pair.frame_b)
    many = RaftFlow(raft_small_weights, iters=12).compute(pair.frame_a, pair.frame_b)
    assert end_point_error(many, pair.flow_ab, border=BORDER) <= end_point_error(
        one, pair.flow_ab, border=BORDER
    )


def test_shapes_padding_and_grey(raft: RaftFlow, small_photo: np.ndarray) -> None:
    # 75 x 101: neither a multiple of 8 nor the 128-pixel minimum, so both paddings are used.
    frame = small_photo[:75, :101]
    moved = np.roll(frame, shift=(0, 2), axis=(0, 1))
    flow = raft.compute(frame, moved)
    assert flow.shape == (75, 101, 2) and flow.dtype == np.float32
    assert np.median(flow[10:-10, 10:-10, 0]) == pytest.approx(2.0, abs=0.25)
    grey = raft.compute(frame.mean(axis=2), moved.mean(axis=2))
    assert grey.shape == (75, 101, 2)


def test_correlation_modes_agree(raft_small_weights: Path, pair: SyntheticPair) -> None:
    flows = [
        RaftFlow(raft_small_weights, corr_mode=mode).compute(pair.frame_a, pair.frame_b)
        for mode in ("all-pairs", "on-demand")
    ]
    np.testing.assert_allclose(flows[0], flows[1], atol=2e-3)


def test_spec_and_fingerprint(raft: RaftFlow, raft_small_weights: Path) -> None:
    assert raft.spec == f"raft:{raft_small_weights}"
    assert raft.fingerprint.startswith("raft-small:iters=12:weights-blake3=")
    assert RaftFlow(raft_small_weights, iters=4).fingerprint != raft.fingerprint


def test_exception_weights(tmp_path: Path, raft_small_weights: Path) -> None:
    with pytest.raises(InputError, match=re.escape(f"not found: {tmp_path / 'none.pth'}")):
        RaftFlow(tmp_path / "none.pth")
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InputError, match=r"cannot load RAFT weights .*garbage\.pth"):
        RaftFlow(tmp_path / "garbage.pth")
    state = torch.load(raft_small_weights, map_location="cpu", weights_only=True)
    del state["module.update_block.gru.convz.bias"]
    state["module.update_block.mask.0.weight"] = torch.zeros(1)
    state["module.fnet.conv2.weight"] = torch.zeros(256, 96, 1, 1)
    torch.save(state, tmp_path / "other.pth")
    with pytest.raises(InputError) as error:
        RaftFlow(tmp_path / "other.pth")
    message = str(error.value)
    assert "other.pth" in message
    assert "missing keys: update_block.gru.convz.bias" in message
    assert "unexpected keys: update_block.mask.0.weight" in message
    assert "fnet.conv2.weight (256, 96, 1, 1) vs (128, 96, 1, 1)" in message


def test_exception_arguments(raft: RaftFlow, raft_small_weights: Path) -> None:
    if not torch.cuda.is_available():
        with pytest.raises(DeviceUnavailableError, match="CUDA is not available"):
            RaftFlow(raft_small_weights, device="cuda")
    with pytest.raises(InputError, match="invalid device 'gpu'"):
        RaftFlow(raft_small_weights, device="gpu")
    with pytest.raises(InputError, match="iters must be at least 1"):
        RaftFlow(raft_small_weights, iters=0)
    with pytest.raises(InputError, match="frames differ in shape"):
        raft.compute(np.zeros((64, 64, 3), np.float32), np.zeros((64, 72, 3), np.float32))


def test_network_output_shape() -> None:
    model = RaftSmall().eval()
    with torch.inference_mode():
        flow = model(torch.zeros(1, 3, 128, 136), torch.zeros(1, 3, 128, 136), iters=2)
    assert flow.shape == (1, 2, 128, 136)
