# SPDX-License-Identifier: Apache-2.0
"""A ``Render`` request as the pipeline sees it: the segment the frame depends on.

Rendering frame t only needs the keyframe segment t depends on (the frames of its passes).
A segment stylized on its own gives exactly the pixels of the whole shot stylized at once: a
pass only sees its own frames and the blend weights only its two keys. So the service keys
its cache by segment content, and two shots sharing a segment share its results.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthfx.engine import engine_version
from synthfx.errors import InputError
from synthfx.io.sequences import FrameRange, compact_frames
from synthfx.pipeline import StylizeOptions, plan_segments
from synthfx.service.files import ReadRoots
from synthfx.service.frame_store import FrameStore
from synthfx.service.params import stylize_options
from synthfx.service.status import StatusError
from synthfx.sheet import layout_text, parse_layout, unpack_sheet
from synthfx.transport.wire import WireLimits, check_content_hash, check_desc, decode, payload_size
from synthfx.v1 import synthfx_pb2 as pb

# Bump when what a cached segment directory holds changes meaning.
SEGMENT_FORMAT = "synthfx-service-segment-v1"
# Frame number a KeySheet's sheet is looked up under (its FrameImage.frame is not used).
_SHEET_FRAME = 0


@dataclass(frozen=True)
class StoredImage:
    """A frame of the frame store with its wire description; pixels are fetched on demand, so
    a segment's frames are never all in memory at once (the store may have spilled them)."""

    desc: pb.ImageDesc
    content_hash: str
    store: FrameStore
    session_id: str

    def pixels(self) -> np.ndarray:
        """(H, W, C) float32 top-down pixels (read-only)."""
        payload = self.store.get(self.content_hash, self.session_id)
        if payload is None:  # pinned frames stay; only a damaged spill file gets here
            raise StatusError.not_found(
                f"frame {self.content_hash} was lost from the frame store; upload it again"
            )
        values = decode(self.desc, payload)
        values.setflags(write=False)
        return values

    def identity(self) -> list[object]:
        d = self.desc
        return [self.content_hash, d.width, d.height, d.channels, d.dtype, d.row_order]


class StoredFrames:
    """Frames of a segment read from the frame store (the pipeline's ``Frames`` protocol)."""

    def __init__(self, frame_range: FrameRange, images: dict[int, StoredImage], what: str):
        self._range = frame_range
        self._images = images
        self._what = what

    @property
    def frame_range(self) -> FrameRange:
        return self._range

    def read(self, frame: int) -> np.ndarray:
        image = self._images.get(frame)
        if image is None:
            raise InputError(f"{self._what} has no frame {frame}")
        return image.pixels()


@dataclass(frozen=True)
class SegmentJob:
    """Everything needed to render the frames of one segment; ``key`` addresses its cache."""

    key: str
    segment: FrameRange
    frames: StoredFrames
    keys: dict[int, np.ndarray]
    mask: StoredFrames | None
    options: StylizeOptions
    first_desc: pb.ImageDesc


def lookup_images(
    items: Sequence[pb.FrameImage],
    what: str,
    store: FrameStore,
    session_id: str,
    limits: WireLimits,
    frame_range: FrameRange,
    files: ReadRoots,
    frames: FrameRange | None = None,
) -> dict[int, StoredImage]:
    """The stored (or, by ``path``, read) images of ``items``; files only for ``frames``."""
    images: dict[int, StoredImage] = {}
    for item in items:
        label = f"{what}[frame {item.frame}]"
        if item.frame not in frame_range:
            raise InputError(f"{label} is outside the job's frames {frame_range}")
        if item.frame in images:
            raise InputError(f"{label} is given twice")
        if item.path:
            if item.HasField("image"):
                raise InputError(f"{label}: give an image or a path, not both")
            if frames is None or item.frame in frames:
                desc, digest, payload = files.read(item.path, item.frame, label)
                check_desc(desc, label, limits)
                store.put(digest, payload, desc, session_id)
                images[item.frame] = StoredImage(desc, digest, store, session_id)
            continue
        check_desc(item.image.desc, label, limits)
        check_content_hash(item.image.content_hash, label)
        if item.image.WhichOneof("payload") is not None:
            raise InputError(f"{label}: Render takes stored frames only (upload them first)")
        stored = store.payload_bytes(item.image.content_hash)
        if stored is None or not store.pin(item.image.content_hash, session_id):
            raise StatusError.not_found(
                f"{label}: content {item.image.content_hash} is not on the server; "
                "upload it first (FindMissingFrames, UploadFrames)"
            )
        if stored != payload_size(item.image.desc):
            raise InputError(
                f"{label}: the stored payload has {stored} bytes, the description "
                f"needs {payload_size(item.image.desc)}"
            )
        images[item.frame] = StoredImage(
            item.image.desc, item.image.content_hash, store, session_id
        )
    return images


def segment_job(
    job: pb.Job,
    frame: int,
    store: FrameStore,
    session_id: str,
    limits: WireLimits,
    max_frames: int,
    models_dir: Path | None,
    files: ReadRoots,
) -> SegmentJob:
    """The segment job that renders ``frame`` of ``job``.

    Raises:
        InputError: bad ranges, descriptions or parameters, frames missing from the segment.
        StatusError: NOT_FOUND for frames that were never uploaded or files that do not
            exist, PERMISSION_DENIED for paths outside ``files``' roots.
    """
    if job.first_frame > job.last_frame:
        raise InputError(f"job: first_frame {job.first_frame} is after last_frame {job.last_frame}")
    frame_range = FrameRange(job.first_frame, job.last_frame)
    if len(frame_range) > max_frames:
        raise InputError(f"job: {len(frame_range)} frames, the limit is {max_frames}")
    if frame not in frame_range:
        raise InputError(f"frame {frame} is outside the job's frames {frame_range}")
    options = stylize_options(job.params, models_dir)
    sheet_keys: dict[int, np.ndarray] = {}
    sheet_identity: list[object] = []
    if job.HasField("key_sheet"):
        if job.keyframes:
            raise InputError("job: keyframes and key_sheet both give keys: send one")
        sheet_keys, sheet_identity = key_sheet_keys(
            job.key_sheet, frame_range, store, session_id, limits, files
        )
    key_numbers = sorted(sheet_keys) or [k.frame for k in job.keyframes]
    plan = plan_segments(frame_range.first, frame_range.last, key_numbers, options.only)
    passes = [plan.passes[i] for i in plan.passes_for(frame)]
    numbers = [f for run in passes for f in (run.key, *run.frames)] or [frame]
    segment = FrameRange(min(numbers), max(numbers))

    lookup_args = (store, session_id, limits, frame_range, files, segment)
    frames = lookup_images(job.frames, "job.frames", *lookup_args)
    lacking = [f for f in segment if f not in frames]
    if lacking:
        raise InputError(
            f"job.frames lacks frame(s) {compact_frames(lacking)}; frame {frame} depends on "
            f"frames {segment}"
        )
    key_images = lookup_images(job.keyframes, "job.keyframes", *lookup_args)
    mask_images = lookup_images(job.mask, "job.mask", *lookup_args)
    if mask_images:
        lacking = [f for f in segment if f not in mask_images]
        if lacking:
            raise InputError(
                f"job.mask lacks frame(s) {compact_frames(lacking)} of segment {segment}"
            )

    in_segment = {f: frames[f] for f in segment}
    keys_in = {k: v for k, v in key_images.items() if k in segment}
    sheet_in = {k: v for k, v in sheet_keys.items() if k in segment}
    masks_in = {f: mask_images[f] for f in segment} if mask_images else {}
    identity = {
        "format": SEGMENT_FORMAT,
        "engine": engine_version(),
        "segment": [segment.first, segment.last],
        "frames": [[f, *img.identity()] for f, img in sorted(in_segment.items())],
        "keys": [[f, *img.identity()] for f, img in sorted(keys_in.items())],
        # The sheet's cells in the segment: the sheet and layout they are cut from.
        "sheet_keys": [[f, *sheet_identity] for f in sorted(sheet_in)],
        "mask": [[f, *img.identity()] for f, img in sorted(masks_in.items())],
        "options": options.fingerprint(),
    }
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
    return SegmentJob(
        key=key,
        segment=segment,
        frames=StoredFrames(segment, in_segment, "job.frames"),
        keys={k: v.pixels() for k, v in keys_in.items()} | sheet_in,
        mask=StoredFrames(segment, masks_in, "job.mask") if masks_in else None,
        options=options,
        first_desc=frames[segment.first].desc,
    )


def key_sheet_keys(
    sheet: pb.KeySheet,
    frame_range: FrameRange,
    store: FrameStore,
    session_id: str,
    limits: WireLimits,
    files: ReadRoots,
) -> tuple[dict[int, np.ndarray], list[object]]:
    """The keyframes of a job's styled key sheet: its cells inside ``frame_range``, unpacked
    (``synthfx stylize --sheet --layout``).

    Returns:
        (frame -> (H, W, C) float32 key, the sheet's identity for cache keys: the sheet's
        content and the layout).

    Raises:
        InputError: a layout that is not valid JSON or not a layout (names the field), a sheet
            that does not fit it (names the size expected), or no cell inside ``frame_range``.
        StatusError: NOT_FOUND / PERMISSION_DENIED for the sheet, as for frames.
    """
    layout = parse_layout(sheet.layout_json, "job.key_sheet.layout_json")
    if not (sheet.sheet.path or sheet.sheet.HasField("image")):
        raise InputError("job.key_sheet.sheet: give the styled sheet (an image or a path)")
    item = pb.FrameImage()
    item.CopyFrom(sheet.sheet)
    item.frame = _SHEET_FRAME
    here = FrameRange(_SHEET_FRAME, _SHEET_FRAME)
    stored = lookup_images([item], "job.key_sheet.sheet", store, session_id, limits, here, files)
    image = stored[_SHEET_FRAME]
    what = f"the styled sheet {sheet.sheet.path}" if sheet.sheet.path else "the styled sheet"
    keys = unpack_sheet(layout, image.pixels(), what=what)
    inside = {frame: key for frame, key in keys.items() if frame in frame_range}
    if not inside:
        raise InputError(
            f"job.key_sheet: no cell of the sheet holds a frame of the job's frames "
            f"{frame_range} (its cells hold frames {compact_frames(list(layout.frames))})"
        )
    return inside, [*image.identity(), layout_text(layout)]
