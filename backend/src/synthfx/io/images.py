# SPDX-License-Identifier: Apache-2.0
"""Single images in and out through OpenImageIO, as float32 pixels.

Supported files: OpenEXR (half, float), DPX (8, 10, 16 bit), TIFF (8, 16 bit, float),
PNG (8, 16 bit) and JPEG (8 bit). Integer files are normalised to [0, 1] on read; float data
written to an integer file is clipped to [0, 1] and rounded to the nearest level. Alpha is never
premultiplied or divided: values come back exactly as stored in the file, so round trips are
exact (float) or within quantisation (integer, half).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import OpenImageIO as oiio

from synthfx.errors import InputError
from synthfx.io.atomic import atomic_path

# Stops OpenImageIO's PNG/TIFF readers and writers from (un)premultiplying alpha behind our back.
_UNASSOCIATED_ALPHA = "oiio:UnassociatedAlpha"
# The largest finite half float; larger values would be stored as infinity.
_HALF_MAX = 65504.0


@dataclass(frozen=True)
class FileFormat:
    """What synthfx writes for one file extension.

    Attributes:
        name: Human-readable format name for messages.
        dtypes: Storage types accepted by ``write_image(dtype=...)``.
        default_dtype: Storage type used when ``dtype`` is None.
        channel_counts: Channel counts the format can store; None means any.
    """

    name: str
    dtypes: tuple[str, ...]
    default_dtype: str
    channel_counts: tuple[int, ...] | None = None


_EXR = FileFormat("OpenEXR", ("half", "float"), "half")
_TIFF = FileFormat("TIFF", ("uint8", "uint16", "float"), "uint16")
_PNG = FileFormat("PNG", ("uint8", "uint16"), "uint8", (1, 2, 3, 4))
_JPEG = FileFormat("JPEG", ("uint8",), "uint8", (1, 3))
# 10 bit is what DPX is used for in practice (film scans, grading round trips).
_DPX = FileFormat("DPX", ("uint8", "uint10", "uint16"), "uint10", (1, 3, 4))

FORMATS: dict[str, FileFormat] = {
    ".exr": _EXR,
    ".tif": _TIFF,
    ".tiff": _TIFF,
    ".png": _PNG,
    ".jpg": _JPEG,
    ".jpeg": _JPEG,
    ".dpx": _DPX,
}

# Storage type -> (OpenImageIO pixel type, bits per sample or 0 for the type's own, max level).
_STORAGE: dict[str, tuple[oiio.BASETYPE, int, int]] = {
    "uint8": (oiio.UINT8, 0, 255),
    "uint10": (oiio.UINT16, 10, 1023),
    "uint16": (oiio.UINT16, 0, 65535),
    "half": (oiio.HALF, 0, 0),
    "float": (oiio.FLOAT, 0, 0),
}


# eq=False: comparing pixel arrays with == is ambiguous; compare ``pixels`` explicitly.
@dataclass(frozen=True, eq=False)
class Image:
    """A decoded image.

    Attributes:
        pixels: (H, W, C) float32; integer files normalised to [0, 1].
        channel_names: C names as stored in the file, e.g. ("R", "G", "B", "A").
        pixel_aspect: Pixel width / height (1.0 for square pixels).
    """

    pixels: np.ndarray
    channel_names: tuple[str, ...]
    pixel_aspect: float = 1.0

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def channels(self) -> int:
        return int(self.pixels.shape[2])

    @property
    def has_alpha(self) -> bool:
        return "A" in self.channel_names


def file_format(path: str | os.PathLike[str]) -> FileFormat:
    """The format synthfx uses for ``path``'s extension.

    Raises:
        InputError: The extension is not one of ``FORMATS``.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        supported = ", ".join(sorted(FORMATS))
        raise InputError(f"unsupported image extension {suffix!r} for {path} (use {supported})")
    return FORMATS[suffix]


def _one_line(message: str) -> str:
    """OpenImageIO's error text on one line (its plugins stack several lines of detail)."""
    lines = dict.fromkeys(line.strip() for line in message.splitlines() if line.strip())
    return "; ".join(lines) or "unknown error"


def _open_input(path: Path) -> oiio.ImageInput:
    file_format(path)
    if not path.is_file():
        raise InputError(f"image file not found: {path}")
    config = oiio.ImageSpec()
    config.attribute(_UNASSOCIATED_ALPHA, 1)
    image_input = oiio.ImageInput.open(str(path), config)
    if image_input is None:
        raise InputError(f"cannot read image {path}: {_one_line(oiio.geterror())}")
    return image_input


def _display_shape(spec: oiio.ImageSpec) -> tuple[int, int, int]:
    return (int(spec.full_height), int(spec.full_width), int(spec.nchannels))


def read_image_shape(path: str | os.PathLike[str]) -> tuple[int, int, int]:
    """Reads only the header of an image.

    Returns:
        (H, W, C) of the pixels ``read_image`` would return.

    Raises:
        InputError: Missing, unreadable or unsupported file.
    """
    image_input = _open_input(Path(path))
    try:
        return _display_shape(image_input.spec())
    finally:
        image_input.close()


def _to_display_window(data: np.ndarray, spec: oiio.ImageSpec) -> np.ndarray:
    """Places the data window (EXR crop/overscan) into the display window, zeros outside.

    Frames of one shot share a display window but not necessarily a data window (EXR writers
    crop to the non-empty region), so the display window is what makes their sizes comparable.
    """
    full_h, full_w, channels = _display_shape(spec)
    x0, y0 = int(spec.x - spec.full_x), int(spec.y - spec.full_y)
    if (x0, y0) == (0, 0) and data.shape[:2] == (full_h, full_w):
        return data
    canvas = np.zeros((full_h, full_w, channels), dtype=np.float32)
    dst_y = slice(max(y0, 0), min(y0 + data.shape[0], full_h))
    dst_x = slice(max(x0, 0), min(x0 + data.shape[1], full_w))
    if dst_y.start < dst_y.stop and dst_x.start < dst_x.stop:
        src_y = slice(dst_y.start - y0, dst_y.stop - y0)
        src_x = slice(dst_x.start - x0, dst_x.stop - x0)
        canvas[dst_y, dst_x] = data[src_y, src_x]
    return canvas


def read_image(path: str | os.PathLike[str]) -> Image:
    """Reads an image file as float32.

    Args:
        path: An .exr, .dpx, .tif/.tiff, .png or .jpg/.jpeg file.

    Returns:
        The image; pixels are (H, W, C) float32 covering the display window.

    Raises:
        InputError: The file is missing, unreadable, truncated or has an unsupported extension.
    """
    path = Path(path)
    image_input = _open_input(path)
    try:
        spec = image_input.spec()
        data = image_input.read_image(0, 0, 0, spec.nchannels, "float")
        if data is None:
            raise InputError(f"cannot read pixels of {path}: {_one_line(image_input.geterror())}")
        names = tuple(str(name) for name in spec.channelnames)
        aspect = float(spec.get_float_attribute("PixelAspectRatio", 1.0))
    finally:
        image_input.close()
    data = np.asarray(data, dtype=np.float32).reshape(spec.height, spec.width, spec.nchannels)
    pixels = np.ascontiguousarray(_to_display_window(data, spec))
    return Image(pixels=pixels, channel_names=names, pixel_aspect=aspect)


def default_channel_names(channels: int) -> tuple[str, ...]:
    """Conventional names: Y, YA, RGB, RGBA, then RGBA plus ``channel4``, ``channel5``, ..."""
    if channels == 1:
        return ("Y",)
    if channels == 2:
        return ("Y", "A")
    base = ("R", "G", "B", "A")[:channels]
    return base + tuple(f"channel{i}" for i in range(4, channels))


def _as_hwc(pixels: np.ndarray, path: Path) -> np.ndarray:
    array = np.asarray(pixels)
    if array.ndim == 2:
        array = array[..., None]
    if array.ndim != 3 or array.shape[0] == 0 or array.shape[1] == 0 or array.shape[2] == 0:
        raise InputError(
            f"cannot write {path}: pixels must be (H, W) or (H, W, C), got {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number):
        raise InputError(f"cannot write {path}: pixels must be numeric, got {array.dtype}")
    return array.astype(np.float32, copy=False)


def _quantise(pixels: np.ndarray, storage: str) -> np.ndarray:
    """Float pixels in the array type handed to OpenImageIO for ``storage``."""
    if storage in ("half", "float"):
        return np.ascontiguousarray(pixels, dtype=np.float32)
    levels = _STORAGE[storage][2]
    # NaN would otherwise become an arbitrary integer; clip keeps +-inf at the ends.
    clipped = np.clip(np.nan_to_num(pixels, nan=0.0), 0.0, 1.0)
    rounded = np.rint(clipped * levels)
    if storage == "uint10":
        # OpenImageIO takes 10-bit data as float; exact levels survive its own conversion.
        return np.ascontiguousarray(rounded / levels, dtype=np.float32)
    return np.ascontiguousarray(rounded.astype(np.uint8 if levels == 255 else np.uint16))


def check_output(
    path: str | os.PathLike[str], *, dtype: str | None = None, channels: int | None = None
) -> str:
    """Checks that ``write_image(path, ...)`` can store such an image, before any work is done.

    Creates the parent directory if it is missing.

    Args:
        path: Destination; the extension picks the format.
        dtype: Storage type, as for ``write_image``; None: the format's default.
        channels: Channel count to be written; None: not checked.

    Returns:
        The storage type ``write_image`` will use.

    Raises:
        InputError: Unsupported extension, dtype or channel count for the format, a path that
            is a directory, or a directory that cannot be created or written (names the path).
    """
    path = Path(path)
    fmt = file_format(path)
    storage = fmt.default_dtype if dtype is None else dtype
    if storage not in fmt.dtypes:
        raise InputError(
            f"cannot write {path}: {fmt.name} stores {', '.join(fmt.dtypes)}, not {storage!r}"
        )
    if (
        channels is not None
        and fmt.channel_counts is not None
        and channels not in fmt.channel_counts
    ):
        raise InputError(
            f"cannot write {path}: {fmt.name} stores {fmt.channel_counts} channels, not {channels}"
        )
    if path.is_dir():
        raise InputError(f"cannot write {path}: it is a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"cannot write {path}: {path.parent} is not a directory") from None
    except OSError as exc:
        raise InputError(
            f"cannot write {path}: cannot create {exc.filename}: {exc.strerror}"
        ) from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise InputError(f"cannot write {path}: the directory {path.parent} is not writable")
    return storage


def write_image(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    *,
    dtype: str | None = None,
    channel_names: tuple[str, ...] | list[str] | None = None,
    pixel_aspect: float = 1.0,
) -> None:
    """Writes an image atomically (temporary file in the same directory, then rename).

    Args:
        path: Destination; the extension picks the format (see ``FORMATS``).
        pixels: (H, W) or (H, W, C) float data.
        dtype: Storage type: "half" or "float" (EXR; "float" also TIFF), "uint8", "uint16",
            "uint10" (DPX). None uses the format's default: EXR half, TIFF 16 bit, PNG 8 bit,
            JPEG 8 bit, DPX 10 bit. Integer storage clips to [0, 1] and rounds.
        channel_names: C names; default ``default_channel_names(C)``. A channel named "A" is
            marked as alpha.
        pixel_aspect: Pixel width / height, stored where the format has a field for it.

    Raises:
        InputError: Unsupported extension, dtype or channel count for the format, wrong
            pixel shape, finite values beyond half's range for half storage, or a write
            failure (message names the path).
    """
    path = Path(path)
    file_format(path)
    array = _as_hwc(pixels, path)
    height, width, channels = array.shape
    storage = check_output(path, dtype=dtype, channels=channels)
    names = tuple(channel_names) if channel_names is not None else default_channel_names(channels)
    if len(names) != channels:
        raise InputError(f"cannot write {path}: {len(names)} channel names for {channels} channels")

    pixel_type, bits, _ = _STORAGE[storage]
    spec = oiio.ImageSpec(width, height, channels, pixel_type)
    spec.channelnames = names
    spec.alpha_channel = names.index("A") if "A" in names else -1
    spec.attribute("PixelAspectRatio", float(pixel_aspect))
    spec.attribute(_UNASSOCIATED_ALPHA, 1)
    if bits:
        spec.attribute("oiio:BitsPerSample", bits)
    data = _quantise(array, storage)
    if storage == "half":
        _check_half_range(array, path)
    try:
        _write(path, spec, data)
    except OSError as exc:  # the rename over the final name (mkdir was checked above)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _check_half_range(array: np.ndarray, path: Path) -> None:
    """Refuses finite values that half would store as infinity (infinities pass unchanged)."""
    magnitude = np.abs(array)
    overflow = magnitude[(magnitude > _HALF_MAX) & np.isfinite(magnitude)]
    if overflow.size:
        raise InputError(
            f"cannot write {path} as half: it holds {float(overflow.max()):.4g}, half stores at "
            f"most {_HALF_MAX:g} (larger values become infinity); use dtype float (--dtype float)"
        )


def _write(path: Path, spec: oiio.ImageSpec, data: np.ndarray) -> None:
    with atomic_path(path) as temporary:
        # The plugin is chosen from the real name; the temporary keeps the extension anyway.
        image_output = oiio.ImageOutput.create(str(path))
        if image_output is None:
            raise InputError(f"cannot write {path}: {_one_line(oiio.geterror())}")
        if not image_output.open(str(temporary), spec):
            raise InputError(f"cannot write {path}: {_one_line(image_output.geterror())}")
        written = image_output.write_image(data)
        error = "" if written else image_output.geterror()
        if not image_output.close() and written:
            written, error = False, image_output.geterror()
        if not written:
            raise InputError(f"cannot write {path}: {_one_line(error)}")
