# SPDX-License-Identifier: Apache-2.0
"""``synthfx stylize --backend ADDR`` and ``synthfx deflicker --backend ADDR``: the same job
rendered by a remote backend.

Every frame is uploaded once (by content hash), then rendered in order and written by the
CLI's own writer, so local and remote runs write identical files.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from synthfx.client.backend import BackendClient, Payload
from synthfx.deflicker import DeflickerOptions, DeflickerResult
from synthfx.engine import SynthesisParams
from synthfx.errors import InputError
from synthfx.keyframe import KeyframeOptions
from synthfx.pipeline import RenderResult, StylizeOptions
from synthfx.schema_wire import fill_message
from synthfx.v1 import synthfx_pb2 as pb


def engine_message(params: SynthesisParams) -> pb.EngineParams:
    """Every engine parameter, explicitly (the backend's defaults never apply)."""
    return fill_message(pb.EngineParams(), params)


def stylize_message(options: StylizeOptions) -> pb.StylizeParams:
    """Every option of a job, explicitly. ``raft:PATH`` becomes ``raft:NAME``: the backend
    looks NAME up in its own models directory."""
    message = fill_message(pb.StylizeParams(engine=engine_message(options.engine)), options)
    if message.flow.startswith("raft:"):
        message.flow = "raft:" + Path(message.flow.removeprefix("raft:")).name
    return message


def deflicker_message(options: DeflickerOptions) -> pb.DeflickerParams:
    """Every deflicker and engine option, explicitly (the backend's defaults never apply)."""
    return fill_message(pb.DeflickerParams(engine=engine_message(options.engine)), options)


def keyframe_message(options: KeyframeOptions) -> pb.KeyframeParams:
    """Every keyframe and engine option, explicitly. A weights path becomes its file name: the
    backend looks it up in its own models directory."""
    message = pb.KeyframeParams(
        engine=engine_message(options.engine), reference_weights=options.reference_weights
    )
    message = fill_message(message, options)
    if message.HasField("weights"):
        message.weights = Path(message.weights).name
    return message


def _upload_each(
    client: BackendClient, read: Callable[[int], np.ndarray], frames: Iterable[int]
) -> list[pb.FrameImage]:
    """Uploads frames one at a time (one decoded frame in memory) and returns their refs."""
    refs = []
    for frame in frames:
        payload = Payload.of(read(frame))
        client.upload([payload])
        refs.append(pb.FrameImage(frame=frame, image=payload.ref()))
    return refs


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
    tls_ca: Path | None = None,
    quiet: bool = True,
) -> int:
    """Renders every frame of ``frames`` on the backend and hands each to ``write``.

    Frames are read and uploaded one at a time, so a long 4K shot never sits in memory.

    Returns:
        The number of frames written.
    """
    frame_range = frames.frame_range
    if not keys:
        raise InputError("no keyframes: give at least one --key FRAME=PATH")
    with BackendClient(
        address, token_file=token_file, tls_ca=tls_ca, label="synthfx stylize"
    ) as client:
        job = pb.Job(
            first_frame=frame_range.first,
            last_frame=frame_range.last,
            frames=_upload_each(client, frames.read, frame_range),
            keyframes=_upload_each(client, keys.__getitem__, keys),
            mask=[] if mask is None else _upload_each(client, mask.read, frame_range),
            params=stylize_message(options),
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


def deflicker_remotely(
    address: str,
    render: Any,
    guide: Any,
    mask: Any,
    options: DeflickerOptions,
    write: Callable[[int, DeflickerResult], None],
    *,
    token_file: Path | None = None,
    tls_ca: Path | None = None,
    quiet: bool = True,
) -> int:
    """Deflickers every frame of ``render`` on the backend and hands each to ``write``.

    Frames are read and uploaded one at a time, so a long shot never sits in memory.

    Returns:
        The number of frames written.
    """
    frame_range = render.frame_range
    with BackendClient(
        address, token_file=token_file, tls_ca=tls_ca, label="synthfx deflicker"
    ) as client:
        job = pb.DeflickerJob(
            first_frame=frame_range.first,
            last_frame=frame_range.last,
            frames=_upload_each(client, render.read, frame_range),
            guide=_upload_each(client, guide.read, frame_range),
            mask=[] if mask is None else _upload_each(client, mask.read, frame_range),
            params=deflicker_message(options),
        )
        for frame in frame_range:
            done = client.deflicker(job, frame, want_support=True)
            assert done.support is not None  # asked for
            write(frame, DeflickerResult(done.image, done.support))
            if not quiet:
                print(f"frame {frame} ({done.remaps} remaps)", file=sys.stderr)
    return len(frame_range)
