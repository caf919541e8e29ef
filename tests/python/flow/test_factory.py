# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import synthfx.flow
from synthfx.errors import InputError
from synthfx.flow import DisFlow, backward_warp, make_flow_estimator
from synthfx.flow.warp import backward_warp as warp_backward_warp


@pytest.mark.parametrize("spec", ["dis-fine", "dis-medium", "dis-fast", "dis-ultrafast"])
def test_dis_specs(spec: str) -> None:
    estimator = make_flow_estimator(spec)
    assert isinstance(estimator, DisFlow) and estimator.spec == spec
    flow = estimator.compute(np.zeros((32, 32), np.float32), np.zeros((32, 32), np.float32))
    assert flow.shape == (32, 32, 2)


def test_default_is_dis_fine() -> None:
    assert make_flow_estimator().spec == "dis-fine"


def test_raft_spec(raft_small_weights: Path) -> None:
    estimator = make_flow_estimator(f"raft:{raft_small_weights}")
    assert isinstance(estimator, synthfx.flow.RaftFlow)
    assert estimator.spec == f"raft:{raft_small_weights}"


def test_reexports() -> None:
    assert backward_warp is warp_backward_warp


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("farneback", "unknown flow method 'farneback'.*dis-medium.*raft:PATH"),
        ("dis-slow", "unknown flow method 'dis-slow'"),
        ("raft:", "needs the weights path"),
        ("raft:/nowhere/raft.pth", "not found: /nowhere/raft.pth"),
    ],
)
def test_exception(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make_flow_estimator(spec)
