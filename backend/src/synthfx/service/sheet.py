# SPDX-License-Identifier: Apache-2.0
"""``PackSheet``: the key frames of a shot tiled into one key sheet (``synthfx sheet pack``)
from stored frames (or files the server reads); progress, the result header (the sheet, its
layout JSON and keys), then its chunks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import grpc
import numpy as np

from synthfx.errors import CancelledError, InputError
from synthfx.io.sequences import FrameRange
from synthfx.pipeline import ProgressEvent
from synthfx.service.jobs import StoredImage, lookup_images
from synthfx.service.messages import progress_of
from synthfx.service.params import sheet_options
from synthfx.service.state import ServiceState
from synthfx.service.transfer import outgoing, result_image
from synthfx.sheet import SheetLayout, build_sheet, layout_text
from synthfx.v1 import synthfx_pb2 as pb

log = logging.getLogger("synthfx.service")


def pack_sheet(
    state: ServiceState, request: pb.PackSheetRequest, context: grpc.ServicerContext
) -> Iterator[pb.PackSheetResponse | bytes]:
    """The response stream: progress, the result, then its chunks (encoded messages)."""
    started = time.perf_counter()
    session = state.sessions.get(request.session_id)
    work, plate = _packing(state, request, session.session_id)
    layout, sheet = yield from state.calls.stream(
        session, request.request_id, context, work, _progress_message
    )
    like = plate[layout.frames[0]].desc
    names = tuple(like.channel_names)
    header, payload = result_image(sheet, names, _unplaced(like), request.output)
    placed, chunks = outgoing(
        [header], [payload], request.output, state.config.chunk_bytes, pb.PackSheetResponse
    )
    seconds = time.perf_counter() - started
    yield pb.PackSheetResponse(
        result=pb.PackSheetResult(
            images=placed, layout_json=layout_text(layout), keys=layout.frames, seconds=seconds
        )
    )
    yield from chunks
    fields = {
        "session": session.session_id,
        "request": request.request_id,
        "keys": len(layout.cells),
        "size": f"{layout.sheet_width}x{layout.sheet_height}",
        "seconds": round(seconds, 4),
    }
    log.info("packsheet", extra={"fields": fields})


def _unplaced(desc: pb.ImageDesc) -> pb.ImageDesc:
    """``desc`` without bounds: the sheet is an image of its own, not the plate's window."""
    like = pb.ImageDesc()
    like.CopyFrom(desc)
    like.ClearField("bounds")
    return like


def _packing(
    state: ServiceState, request: pb.PackSheetRequest, session_id: str
) -> tuple[
    Callable[[Callable[[ProgressEvent], None], threading.Event], tuple[SheetLayout, np.ndarray]],
    dict[int, StoredImage],
]:
    """The packing work, its inputs checked before it is queued, and the plate frames.

    Raises:
        InputError: bad ranges or options, a matte without crop_to_matte (or the reverse).
        StatusError: NOT_FOUND for frames never uploaded or missing files,
            PERMISSION_DENIED for paths outside the read roots.
    """
    if request.first_frame > request.last_frame:
        raise InputError(
            f"first_frame {request.first_frame} is after last_frame {request.last_frame}"
        )
    shot = FrameRange(request.first_frame, request.last_frame)
    config = state.config
    if len(shot) > config.max_frames:
        raise InputError(f"{len(shot)} frames, the limit is {config.max_frames}")
    options = sheet_options(request.params)
    if options.crop_to_matte and not request.matte:
        raise InputError("params.crop_to_matte needs the matte frames (matte)")
    if request.matte and not options.crop_to_matte:
        raise InputError("matte is only used to crop: set params.crop_to_matte")
    lookup = (state.store, session_id, config.wire_limits, shot, state.files)
    plate = lookup_images(request.frames, "frames", *lookup)
    matte = lookup_images(request.matte, "matte", *lookup)

    def reader(images: dict[int, StoredImage], what: str) -> Callable[[int], np.ndarray]:
        def read(frame: int) -> np.ndarray:
            image = images.get(frame)
            if image is None:
                raise InputError(f"{what} lacks key frame {frame}: send every key frame")
            return image.pixels()

        return read

    def work(
        report: Callable[[ProgressEvent], None], cancel: threading.Event
    ) -> tuple[SheetLayout, np.ndarray]:
        def read(frame: int, done: int, total: int) -> None:
            if cancel.is_set():
                raise CancelledError(f"cancelled after key frame {frame}")
            report(ProgressEvent("read", frame, done, total))

        return build_sheet(
            shot, options, reader(plate, "frames"),
            reader(matte, "matte") if matte else None, read,
        )  # fmt: skip

    return work, plate


def _progress_message(event: ProgressEvent) -> pb.PackSheetResponse:
    return pb.PackSheetResponse(progress=progress_of(event))
