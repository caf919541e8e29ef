# SPDX-License-Identifier: Apache-2.0
"""``synthfx stylize --backend ADDR``: the same job rendered by a remote backend.

Every frame is uploaded once (by content hash), then rendered in order and written by the
CLI's own writer, so local and remote runs write identical files.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from synthfx.client.backend import BackendClient
from synthfx.engine import SynthesisParams
from synthfx.errors import InputError
from synthfx.pipeline import RenderResult, StylizeOptions
from synthfx.v1 import synthfx_pb2 as pb

_VOTE_MODES = {"plain": pb.VOTE_MODE_PLAIN, "weighted": pb.VOTE_MODE_WEIGHTED}
_BACKENDS = {
    "auto": pb.COMPUTE_BACKEND_AUTO,
    "cpu": pb.COMPUTE_BACKEND_CPU,
    "cuda": pb.COMPUTE_BACKEND_CUDA,
}


def engine_message(params: SynthesisParams) -> pb.EngineParams:
    """Every engine parameter, explicitly (the backend's defaults never apply)."""
    values = dataclasses.asdict(params)
    return pb.EngineParams(
        vote_mode=_VOTE_MODES[values.pop("vote_mode")],
        backend=_BACKENDS[values.pop("backend")],
        **values,
    )


def stylize_message(options: StylizeOptions) -> pb.StylizeParams:
    """Every option of a job, explicitly. ``raft:PATH`` becomes ``raft:NAME``: the backend
    looks NAME up in its own models directory."""
    values = options.to_dict()
    values.pop("engine")
    if values["only"] is None:
        values.pop("only")
    if values["flow"].startswith("raft:"):
        values["flow"] = "raft:" + Path(values["flow"].removeprefix("raft:")).name
    return pb.StylizeParams(engine=engine_message(options.engine), **values)


def stylize_remotely(
    address: str,
    frames: Any,
    keys: dict[int, np.ndarray],
    mask: Any,
    options: StylizeOptions,
    write: Callable[[int, RenderResult], None],
    *,
    want_error: bool,
    token_file: Path | None = None,
    quiet: bool = True,
) -> int:
    """Renders every frame of ``frames`` on the backend and hands each to ``write``.

    Returns:
        The number of frames written.
    """
    frame_range = frames.frame_range
    shot = {f: frames.read(f) for f in frame_range}
    masks = None if mask is None else {f: mask.read(f) for f in frame_range}
    if not keys:
        raise InputError("no keyframes: give at least one --key FRAME=PATH")
    with BackendClient(address, token_file=token_file, label="synthfx stylize") as client:
        job = client.upload_job(
            shot,
            keys,
            mask=masks,
            params=stylize_message(options),
            frame_range=(frame_range.first, frame_range.last),
        )
        for frame in frame_range:
            rendered = client.render(job, frame, want_error=want_error)
            error = rendered.error
            if error is None:
                error = np.zeros(rendered.image.shape[:2], np.float32)
            write(frame, RenderResult(rendered.image, error))
            if not quiet:
                print(f"frame {frame} ({'cached' if rendered.from_cache else 'rendered'})",
                      file=sys.stderr)  # fmt: skip
    return len(frame_range)
