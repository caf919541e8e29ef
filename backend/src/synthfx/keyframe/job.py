# SPDX-License-Identifier: Apache-2.0
"""``make_keyframe``: a plate and reference paintings in, a styled keyframe out.

A pure function of arrays and options, so the CLI, the Python API and a service call share it:

    result = make_keyframe(plate, [painting], options=KeyframeOptions(preserve_colour="luminance"))
    write_image("key.exr", result.image)

Both methods style RGB; the plate's alpha (if any) is the keyframe's alpha, unchanged. A mask
restricts the style to its region (outside it the plate is kept, a soft mask blends) and the
plate's histogram for the guides is taken inside it.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from synthfx.engine import check_params
from synthfx.errors import InputError
from synthfx.keyframe.colour import preserve_colour
from synthfx.keyframe.options import KeyframeOptions
from synthfx.keyframe.patch import OPAQUE, patch_keyframe
from synthfx.pipeline.inputs import alpha_of, as_float_hwc, coverage_of, rgb_of
from synthfx.pipeline.stylizer import ProgressEvent
from synthfx.sheet.resample import resize

if TYPE_CHECKING:  # torch is imported only when the gatys method runs
    from synthfx.keyframe.gatys import Losses

# A mask value at or above this puts a pixel in the styled region (histograms are taken there).
INSIDE = 0.5


@dataclass(frozen=True)
class KeyframeResult:
    """One keyframe.

    Attributes:
        image: (H, W, 3) float32 RGB, or (H, W, 4) with the plate's alpha when it has one;
            H and W are the plate's times ``output_scale``.
        losses: gatys: the losses (``synthfx.keyframe.gatys.Losses``) of every evaluation of
            the objective, in order; patch: empty.
        seconds: wall time of the job.
        snapshots: gatys with ``snapshot_every``: the image (H', W', 3) at the working size
            every ``snapshot_every`` evaluations; otherwise empty.
    """

    image: np.ndarray
    losses: tuple[Losses, ...]
    seconds: float
    snapshots: tuple[np.ndarray, ...] = ()


def check_method(options: KeyframeOptions) -> None:
    """Raises, before any work, what the method would for want of torch or weights."""
    if options.method != "gatys":
        return
    if importlib.util.find_spec("torch") is None:
        raise InputError(
            "--method gatys needs torch, which is not installed: run ./setup.sh (it installs "
            "torch) or use --method patch"
        )
    if options.weights is None:
        raise InputError(
            "--method gatys needs VGG weights: give --weights PATH to a torchvision-layout "
            f"{options.network} state dict (they are never downloaded), or use --method patch"
        )


def _scaled_size(height: int, width: int, scale: float) -> tuple[int, int]:
    return max(1, round(height * scale)), max(1, round(width * scale))


def _checked_references(
    references: Sequence[np.ndarray], options: KeyframeOptions
) -> list[tuple[np.ndarray, np.ndarray | None]]:
    if len(references) == 0:
        raise InputError("no reference painting given: pass at least one --reference")
    checked = []
    smallest = options.engine.patch_size if options.method == "patch" else 1
    for number, reference in enumerate(references, start=1):
        values = as_float_hwc(reference, f"reference {number}")
        height, width = values.shape[:2]
        if min(height, width) < smallest:
            raise InputError(
                f"reference {number} is {width}x{height}: smaller than one "
                f"{smallest}x{smallest} patch"
            )
        if values.shape[2] > 4:
            raise InputError(f"reference {number} has {values.shape[2]} channels; expected 1-4")
        alpha = alpha_of(values)
        if alpha is not None and not (alpha >= OPAQUE).any():
            raise InputError(f"reference {number} is fully transparent: nothing to copy")
        checked.append((np.ascontiguousarray(rgb_of(values)), alpha))
    return checked


def _checked_segmentations(
    segmentation: np.ndarray | None,
    references: Sequence[np.ndarray],
    checked: list[tuple[np.ndarray, np.ndarray | None]],
    plate_size: tuple[int, int],
    options: KeyframeOptions,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(reference's, plate's) segmentation per reference, checked; empty without them."""
    if segmentation is None and not references:
        return []
    if segmentation is None or len(references) != len(checked):
        raise InputError(
            f"a segmentation needs one for the plate and one per reference: got "
            f"{'one' if segmentation is not None else 'none'} for the plate and "
            f"{len(references)} for {len(checked)} reference(s)"
        )
    if options.method != "patch":
        raise InputError("segmentations guide the patch method only: use --method patch")
    plate_segments = as_float_hwc(segmentation, "the plate's segmentation")
    if plate_segments.shape[:2] != plate_size:
        raise InputError(
            f"the plate's segmentation is {plate_segments.shape[1]}x{plate_segments.shape[0]}, "
            f"the plate is {plate_size[1]}x{plate_size[0]}"
        )
    pairs = []
    for number, (segments, (rgb, _)) in enumerate(zip(references, checked, strict=True), 1):
        values = as_float_hwc(segments, f"the segmentation of reference {number}")
        if values.shape[:2] != rgb.shape[:2]:
            raise InputError(
                f"the segmentation of reference {number} is {values.shape[1]}x{values.shape[0]}, "
                f"the reference is {rgb.shape[1]}x{rgb.shape[0]}"
            )
        if values.shape[2] != plate_segments.shape[2]:
            raise InputError(
                f"the segmentation of reference {number} has {values.shape[2]} channels, the "
                f"plate's {plate_segments.shape[2]}"
            )
        pairs.append((values, plate_segments))
    return pairs


def make_keyframe(
    plate: np.ndarray,
    references: Sequence[np.ndarray],
    *,
    mask: np.ndarray | None = None,
    segmentation: np.ndarray | None = None,
    reference_segmentations: Sequence[np.ndarray] = (),
    options: KeyframeOptions | None = None,
    progress: Callable[[ProgressEvent], None] | None = None,
    cancel: threading.Event | None = None,
) -> KeyframeResult:
    """Styles a plate from reference paintings.

    Args:
        plate: (H, W, C) float32 frame, C = 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA).
        references: paintings (H_i, W_i, C_i) float32 of any size; alpha marks what is painted.
        mask: optional (H, W) or (H, W, C) float32 (1 channel, alpha, or the RGB mean): where
            the plate is styled.
        segmentation: optional (H, W, K) float32 labels of the plate's regions (a matte, a
            colour-coded segmentation); patch only, with ``reference_segmentations``.
        reference_segmentations: with ``segmentation``, one (H_i, W_i, K) image per reference
            labelling its regions the same way.
        options: job options (method, colour, weights of the references ...).
        progress: gets ``ProgressEvent``s: stage "synthesis" (patch; ``done`` references of
            ``total``), "optimisation" (gatys; evaluations), "upsampling".
        cancel: when set, the job stops with ``CancelledError`` within one engine iteration or
            one evaluation of the objective.

    Raises:
        InputError: bad arrays, sizes, options, weights count, missing torch or VGG weights;
            the message names the value.
        CancelledError: ``cancel`` was set.
    """
    start = time.perf_counter()
    options = options or KeyframeOptions()
    check_method(options)
    check_params(options.engine)
    values = as_float_hwc(plate, "the plate")
    if values.shape[2] > 4:
        raise InputError(f"the plate has {values.shape[2]} channels; expected 1-4")
    checked = _checked_references(references, options)
    shares = options.reference_shares(len(checked))
    height, width = _scaled_size(values.shape[0], values.shape[1], options.output_scale)
    coverage = None
    if mask is not None:
        mask_values = as_float_hwc(mask, "the mask")
        if mask_values.shape[:2] != values.shape[:2]:
            raise InputError(
                f"the mask is {mask_values.shape[1]}x{mask_values.shape[0]}, the plate is "
                f"{values.shape[1]}x{values.shape[0]}"
            )
        coverage = resize(coverage_of(mask_values)[..., None], width, height)[..., 0]
        if not (coverage >= INSIDE).any():
            raise InputError("the mask is empty: no pixel is at or above 0.5, nothing to style")
    segments = _checked_segmentations(
        segmentation, reference_segmentations, checked, values.shape[:2], options
    )
    values = resize(values, width, height)
    segments = [(source, resize(target, width, height)) for source, target in segments]
    plate_rgb = np.ascontiguousarray(rgb_of(values))
    region = None if coverage is None else coverage >= INSIDE

    def should_stop() -> bool:
        return cancel is not None and cancel.is_set()

    losses: tuple[Losses, ...] = ()
    snapshots: tuple[np.ndarray, ...] = ()
    if options.method == "patch":
        total = len(checked)

        def report(done: int, fraction: float | None) -> None:
            if progress is not None:
                progress(ProgressEvent("synthesis", 0, done, total, fraction))

        styled = patch_keyframe(
            plate_rgb,
            checked,
            shares,
            params=options.engine,
            colour_weight=options.colour_weight,
            luminance_weight=options.luminance_weight,
            edge_weight=options.edge_weight,
            region=region,
            segmentations=segments,
            segmentation_weight=options.segmentation_weight,
            should_stop=should_stop,
            report=report,
        )
    else:
        from synthfx.keyframe.neural import gatys_keyframe

        styled, history, kept = gatys_keyframe(
            plate_rgb, checked, shares, options, coverage, should_stop, progress
        )
        losses, snapshots = tuple(history), tuple(kept)
    styled = preserve_colour(styled, plate_rgb, options.preserve_colour)
    if coverage is not None:
        inside = np.clip(coverage, 0.0, 1.0)[..., None]
        styled = inside * styled + (1.0 - inside) * plate_rgb
    alpha = alpha_of(values)
    if alpha is not None:
        styled = np.concatenate([styled, alpha[..., None]], axis=2)
    image = np.ascontiguousarray(styled, dtype=np.float32)
    return KeyframeResult(image, losses, time.perf_counter() - start, snapshots)
