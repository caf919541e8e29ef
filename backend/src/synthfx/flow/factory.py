# SPDX-License-Identifier: Apache-2.0
"""Flow estimators from their spec strings: ``dis-medium``, ``dis-fast``, ``dis-ultrafast``,
``dis-fine``, ``raft:PATH``."""

from __future__ import annotations

from synthfx.errors import InputError
from synthfx.flow.base import FlowEstimator
from synthfx.flow.dis import DIS_PRESETS, DisFlow

# dis-fine over medium: +0.2 to +0.4 dB on every bench/quality.py case (issue 19), for about
# 1 s more per 1080p flow on 2 CPU cores.
DEFAULT_FLOW = "dis-fine"


def make_flow_estimator(spec: str = DEFAULT_FLOW, *, device: str = "cpu") -> FlowEstimator:
    """Builds the estimator a spec names.

    Args:
        spec: "dis-fine" (default: medium down to full resolution), "dis-medium",
            "dis-fast", "dis-ultrafast", or "raft:PATH" with the path of a RAFT-small state
            dict.
        device: Torch device for RAFT ("cpu", "cuda", "cuda:N", "auto"); ignored by DIS.

    Returns:
        An estimator whose ``spec`` is ``spec``.

    Raises:
        InputError: Unknown spec, or RAFT weights missing or not matching.
    """
    text = spec.strip()
    if text in DIS_PRESETS:
        return DisFlow(text)
    if text.startswith("raft:"):
        path = text.removeprefix("raft:")
        if not path:
            raise InputError("flow spec 'raft:' needs the weights path, e.g. raft:raft-small.pth")
        # Imported here so DIS users never pay for importing torch.
        from synthfx.flow.raft import RaftFlow

        return RaftFlow(path, device=device)
    choices = ", ".join([*DIS_PRESETS, "raft:PATH"])
    raise InputError(f"unknown flow method {spec!r} (use {choices})")
