# SPDX-License-Identifier: Apache-2.0
"""The gatys method of a keyframe: weights loaded, images scaled to the working size, the
objective optimised (``gatys.optimise``), the result brought to the plate's size by guided
patch synthesis (the plate at the working size -> the plate at full size), so a 4K keyframe
never needs a 4K optimisation."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from synthfx.engine import synthesize
from synthfx.flow.raft import resolve_device
from synthfx.keyframe.gatys import GatysSettings, Losses, optimise, to_image, to_tensor
from synthfx.keyframe.layers import layer_index
from synthfx.keyframe.options import KeyframeOptions
from synthfx.keyframe.patch import OPAQUE, patch_guides
from synthfx.keyframe.vgg import VggFeatures, load_vgg
from synthfx.pipeline.stylizer import ProgressEvent
from synthfx.progress import engine_progress
from synthfx.sheet.resample import resize

_loaded: dict[tuple[object, ...], VggFeatures] = {}


def cached_vgg(path: str | os.PathLike[str], network: str, depth: int) -> VggFeatures:
    """``load_vgg``, kept for the next keyframe while the file is unchanged (one model)."""
    resolved = Path(path).resolve()
    stat = resolved.stat() if resolved.is_file() else None
    key = (resolved, stat and stat.st_mtime_ns, stat and stat.st_size, network, depth)
    if key not in _loaded:
        model = load_vgg(resolved, network, depth)
        _loaded.clear()
        _loaded[key] = model
    return _loaded[key]


def settings_of(options: KeyframeOptions) -> GatysSettings:
    style_layers = options.style_layer_names()
    return GatysSettings(
        content_layers=options.content_layer_names(),
        style_layers=style_layers,
        layer_weights=options.layer_weights(len(style_layers)),
        content_weight=options.content_weight,
        style_weight=options.style_weight,
        tv_weight=options.tv_weight,
        optimizer=options.optimizer,
        iterations=options.iterations,
        lr=options.learning_rate(),
        init=options.init,
        init_noise=options.init_noise,
        seed=options.noise_seed,
    )


def _fit(image: np.ndarray, longest: int) -> np.ndarray:
    """``image`` resized so its longest side is ``longest`` (aspect kept)."""
    height, width = image.shape[:2]
    scale = longest / max(height, width)
    return resize(image, max(1, round(width * scale)), max(1, round(height * scale)))


def gatys_keyframe(
    plate: np.ndarray,
    references: Sequence[tuple[np.ndarray, np.ndarray | None]],
    shares: Sequence[float],
    options: KeyframeOptions,
    coverage: np.ndarray | None,
    should_stop: Callable[[], bool],
    progress: Callable[[ProgressEvent], None] | None,
) -> tuple[np.ndarray, list[Losses], list[np.ndarray]]:
    """The plate styled by neural style transfer.

    Args:
        plate: (H, W, 3) float32.
        references: (RGB, alpha or None) of each painting.
        shares: each reference's weight, summing to 1.
        options: the job's options (``weights`` set).
        coverage: optional (H, W) mask: where the style is measured.
        should_stop, progress: cancel check and progress events.

    Returns:
        (H, W, 3) float32, the losses of every evaluation, and the images of every
        ``snapshot_every``-th evaluation at the working size.
    """
    assert options.weights is not None  # check_method ran
    settings = settings_of(options)
    layers = (*settings.content_layers, *settings.style_layers)
    depth = max(layer_index(options.network, name) for name in layers)
    device = resolve_device(options.torch_device)
    model = cached_vgg(options.weights, options.network, depth).to(device)

    height, width = plate.shape[:2]
    longest = min(max(height, width), options.max_size)
    small = _fit(plate, longest)
    styles = []
    for rgb, alpha in references:
        fitted = _fit(rgb, longest)
        opaque = None
        if alpha is not None:
            fitted_alpha = _fit(alpha[..., None], longest)
            opaque = to_tensor((fitted_alpha >= OPAQUE).astype(np.float32), device)
        styles.append((to_tensor(fitted, device), opaque))
    snapshots: list[np.ndarray] = []
    mask = None
    if coverage is not None:
        mask = to_tensor(np.clip(_fit(coverage[..., None], longest), 0.0, 1.0), device)

    def report(done: int, _: Losses, image: torch.Tensor) -> None:
        if options.snapshot_every and done % options.snapshot_every == 0:
            snapshots.append(to_image(image))
        if progress is not None:
            progress(ProgressEvent("optimisation", 0, done, settings.iterations))

    result, history = optimise(
        model,
        to_tensor(small, device),
        styles,
        shares,
        settings,
        mask=mask,
        should_stop=should_stop,
        report=report,
    )
    styled = to_image(result)
    if styled.shape[:2] != (height, width):
        styled = upsample(styled, small, plate, options, should_stop, progress)
    return styled, history, snapshots


def upsample(
    styled: np.ndarray,
    small_plate: np.ndarray,
    plate: np.ndarray,
    options: KeyframeOptions,
    should_stop: Callable[[], bool],
    progress: Callable[[ProgressEvent], None] | None,
) -> np.ndarray:
    """The working-size result at the plate's size: guided synthesis from the small result,
    guided by the plate at both sizes (the patch method's guides)."""

    def report(fraction: float) -> None:
        if progress is not None:
            progress(ProgressEvent("upsampling", 0, 0, 1, fraction))

    guides = patch_guides(
        small_plate,
        plate,
        colour_weight=options.colour_weight,
        luminance_weight=options.luminance_weight,
        edge_weight=options.edge_weight,
    )
    result = synthesize(
        styled,
        guides,
        params=options.engine,
        progress=engine_progress(should_stop, report, "the upsampling of the style result"),
    )
    if progress is not None:
        progress(ProgressEvent("upsampling", 0, 1, 1))
    return np.asarray(result.image, np.float32)
