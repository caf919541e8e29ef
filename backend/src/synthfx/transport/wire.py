# SPDX-License-Identifier: Apache-2.0
"""Images on the wire (``synthfx.v1.Image``): numpy <-> description + payload bytes + hash.

Shared by the client and the server, so both sides agree on byte layout and validation.
Payloads are packed rows, channels interleaved, little-endian, in the declared row order.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import blake3
import numpy as np

from synthfx.errors import InputError
from synthfx.v1 import synthfx_pb2 as pb

CONTENT_HASH = re.compile(r"^[0-9a-f]{64}$")
# Payloads this large are hashed on all cores (about twice as fast on two; bench/README.md).
_THREADED_HASH_MIN_BYTES = 8 << 20
# Channel names as OpenEXR spells them ("R", "diffuse.R"); never anything path-like.
_CHANNEL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]{0,63}$")

NUMPY_DTYPES: dict[int, np.dtype[Any]] = {
    pb.DTYPE_FLOAT32: np.dtype("<f4"),
    pb.DTYPE_FLOAT16: np.dtype("<f2"),
    pb.DTYPE_UINT8: np.dtype("u1"),
}
DTYPE_NAMES = {pb.DTYPE_FLOAT32: "float32", pb.DTYPE_FLOAT16: "float16", pb.DTYPE_UINT8: "uint8"}
_DEFAULT_NAMES = {1: ("Y",), 2: ("Y", "A"), 3: ("R", "G", "B"), 4: ("R", "G", "B", "A")}


@dataclass(frozen=True)
class WireLimits:
    """Largest image the receiver accepts."""

    max_width: int = 16384
    max_height: int = 16384
    max_channels: int = 64

    @property
    def max_payload_bytes(self) -> int:
        """The largest payload these limits allow (float32 at the largest size)."""
        return self.max_width * self.max_height * self.max_channels * 4


def new_content_digest(threaded: bool = False) -> blake3.blake3:
    """An incremental content hash (``update`` pieces, then ``hexdigest``), on all cores when
    ``threaded`` (the hash is the same).

    BLAKE3: several times faster than SHA-256 even with SHA extensions (bench/README.md), whose
    cost on the receiving server had been what held streamed uploads below 1 GB/s. It releases
    the GIL while hashing large pieces.
    """
    return blake3.blake3(max_threads=blake3.blake3.AUTO if threaded else 1)


def content_hash(payload: bytes | memoryview | np.ndarray) -> str:
    """Lowercase hex BLAKE3 of payload bytes (the key frames are stored under)."""
    # blake3 takes byte buffers only; hashlib took any format.
    view = payload.data if isinstance(payload, np.ndarray) else memoryview(payload)
    digest = new_content_digest(threaded=view.nbytes >= _THREADED_HASH_MIN_BYTES)
    digest.update(view if view.format == "B" else view.cast("B"))
    return digest.hexdigest()


def check_content_hash(value: str, what: str) -> str:
    """``value`` when it is a well-formed content hash (it is used in file names)."""
    if not CONTENT_HASH.match(value):
        raise InputError(f"{what}: content_hash must be 64 lowercase hex digits, got {value!r:.80}")
    return value


def payload_size(desc: pb.ImageDesc) -> int:
    """Bytes of the payload ``desc`` describes (checked by ``check_desc`` first)."""
    return desc.width * desc.height * desc.channels * NUMPY_DTYPES[desc.dtype].itemsize


def check_desc(desc: pb.ImageDesc, what: str, limits: WireLimits = WireLimits()) -> None:
    """Raises InputError naming ``what`` and the offending field when ``desc`` is unusable."""
    if desc.dtype not in NUMPY_DTYPES:
        raise InputError(f"{what}: dtype must be float32, float16 or uint8, got {desc.dtype}")
    for field, value, limit in (
        ("width", desc.width, limits.max_width),
        ("height", desc.height, limits.max_height),
        ("channels", desc.channels, limits.max_channels),
    ):
        if not 1 <= value <= limit:
            raise InputError(f"{what}: {field} must be in [1, {limit}], got {value}")
    if desc.row_order not in (
        pb.ROW_ORDER_UNSPECIFIED,
        pb.ROW_ORDER_TOP_DOWN,
        pb.ROW_ORDER_BOTTOM_UP,
    ):
        raise InputError(f"{what}: unknown row_order {desc.row_order}")
    if desc.channel_names and len(desc.channel_names) != desc.channels:
        raise InputError(
            f"{what}: {len(desc.channel_names)} channel names for {desc.channels} channels"
        )
    for name in desc.channel_names:
        if not _CHANNEL_NAME.match(name):
            raise InputError(f"{what}: bad channel name {name!r:.80}")
    if desc.HasField("bounds"):
        b = desc.bounds
        if (b.x2 - b.x1, b.y2 - b.y1) != (desc.width, desc.height):
            raise InputError(
                f"{what}: bounds ({b.x1}, {b.y1}, {b.x2}, {b.y2}) are "
                f"{b.x2 - b.x1}x{b.y2 - b.y1}, the image is {desc.width}x{desc.height}"
            )
    if not (math.isfinite(desc.pixel_aspect) and desc.pixel_aspect >= 0):
        raise InputError(f"{what}: pixel_aspect must be finite and >= 0, got {desc.pixel_aspect}")


def check_image_header(image: pb.Image, what: str, limits: WireLimits = WireLimits()) -> int:
    """Checks description, hash and declared size; returns the payload size in bytes."""
    check_desc(image.desc, what, limits)
    check_content_hash(image.content_hash, what)
    needed = payload_size(image.desc)
    if image.payload_bytes != needed:
        d = image.desc
        raise InputError(
            f"{what}: payload_bytes is {image.payload_bytes}, a {d.width}x{d.height}x{d.channels} "
            f"{DTYPE_NAMES[d.dtype]} image needs {needed}"
        )
    return needed


def describe(
    array: np.ndarray,
    dtype: pb.DType = pb.DTYPE_FLOAT32,
    row_order: pb.RowOrder = pb.ROW_ORDER_TOP_DOWN,
    channel_names: tuple[str, ...] = (),
) -> pb.ImageDesc:
    """The description of an (H, W) or (H, W, C) array sent as ``dtype``."""
    height, width = array.shape[:2]
    channels = 1 if array.ndim == 2 else array.shape[2]
    return pb.ImageDesc(
        width=width,
        height=height,
        channels=channels,
        channel_names=list(channel_names),
        dtype=dtype,
        row_order=row_order,
    )


def encode(array: np.ndarray, desc: pb.ImageDesc) -> bytes:
    """Payload bytes of an (H, W[, C]) float image (top-down) laid out as ``desc`` says.

    uint8 payloads are ``round(clip(x, 0, 1) * 255)``.
    """
    values = np.asarray(array)
    if values.ndim == 2:
        values = values[..., None]
    if desc.row_order == pb.ROW_ORDER_BOTTOM_UP:
        values = values[::-1]
    target = NUMPY_DTYPES[desc.dtype]
    if desc.dtype == pb.DTYPE_UINT8:
        values = np.rint(np.clip(values, 0.0, 1.0) * 255.0)
    return np.ascontiguousarray(values, dtype=target).tobytes()


def decode(desc: pb.ImageDesc, payload: bytes | bytearray | memoryview) -> np.ndarray:
    """(H, W, C) float32 top-down pixels of a checked description and its payload.

    Float32 top-down payloads come back as a read-only view (no copy).
    """
    dtype = NUMPY_DTYPES[desc.dtype]
    raw = np.frombuffer(payload, dtype=dtype).reshape(desc.height, desc.width, desc.channels)
    if desc.row_order == pb.ROW_ORDER_BOTTOM_UP:
        raw = raw[::-1]
    if desc.dtype == pb.DTYPE_UINT8:
        return np.ascontiguousarray(raw, dtype=np.float32) / np.float32(255.0)
    return np.ascontiguousarray(raw, dtype=np.float32)


def channel_names(desc: pb.ImageDesc) -> tuple[str, ...]:
    """The declared channel names, or R, G, B, A (Y for grey) by count."""
    if desc.channel_names:
        return tuple(desc.channel_names)
    return _DEFAULT_NAMES.get(desc.channels, tuple(f"C{i}" for i in range(desc.channels)))
