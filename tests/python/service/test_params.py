# SPDX-License-Identifier: Apache-2.0
"""Typed request parameters <-> pipeline options, both ways."""

from __future__ import annotations

import dataclasses

import pytest

from synthfx.client.remote import stylize_message
from synthfx.engine import EZSYNTH_VIDEO_PARAMS
from synthfx.errors import InputError
from synthfx.pipeline import StylizeOptions
from synthfx.service.params import stylize_options
from synthfx.v1 import synthfx_pb2 as pb


def test_smoke_defaults() -> None:
    assert stylize_options(pb.StylizeParams(), None) == StylizeOptions()


def test_round_trip_every_option(tmp_path) -> None:
    (tmp_path / "raft-small.pth").write_bytes(b"weights")
    options = StylizeOptions(
        edge="page",
        flow="raft:/somewhere/else/raft-small.pth",
        only="reverse",
        edge_weight=0.5,
        image_weight=3.0,
        positional_weight=1.5,
        temporal_weight=0.25,
        mask_weight=7.0,
        mask_mode="before",
        feather=2.5,
        mask_output="over-source",
        screening=0.1,
        selection_smoothing=2.0,
        engine=dataclasses.replace(
            EZSYNTH_VIDEO_PARAMS, uniformity=1234.0, seed=77, vote_mode="weighted", threads=3
        ),
    )
    back = stylize_options(stylize_message(options), tmp_path)
    assert back == dataclasses.replace(options, flow=f"raft:{tmp_path / 'raft-small.pth'}")


def test_exception_options_map() -> None:
    message = pb.StylizeParams(edge=pb.EDGE_METHOD_PST, options={"edge": '"page"'})
    with pytest.raises(InputError, match=r"options\['edge'\] repeats a typed field"):
        stylize_options(message, None)
    forward = stylize_options(pb.StylizeParams(options={"screening": "0.5"}), None)
    assert forward.screening == 0.5
