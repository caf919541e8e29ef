# SPDX-License-Identifier: Apache-2.0
"""Frame input and output: images (OpenImageIO), numbered sequences, video files (OpenCV)."""

from __future__ import annotations

from synthfx.io.atomic import atomic_path
from synthfx.io.frames import FrameSource, SequenceSource, VideoSource, open_frames
from synthfx.io.images import (
    FORMATS,
    FileFormat,
    Image,
    check_output,
    read_image,
    read_image_shape,
    write_image,
)
from synthfx.io.sequences import FrameRange, FrameSequence, read_sequence
from synthfx.io.video import VIDEO_EXTENSIONS, VideoReader

__all__ = [
    "FORMATS",
    "VIDEO_EXTENSIONS",
    "FileFormat",
    "FrameRange",
    "FrameSequence",
    "FrameSource",
    "Image",
    "SequenceSource",
    "VideoReader",
    "VideoSource",
    "atomic_path",
    "check_output",
    "open_frames",
    "read_image",
    "read_image_shape",
    "read_sequence",
    "write_image",
]
