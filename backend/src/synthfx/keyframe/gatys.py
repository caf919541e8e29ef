# SPDX-License-Identifier: Apache-2.0
"""Neural style transfer (Gatys, Ecker & Bethge 2016, "Image Style Transfer Using
Convolutional Neural Networks") on a VGG's features.

The image is optimised so that its activations on the content layers are the plate's (mean
squared difference) and the Gram matrices of its activations on the style layers are the
references' (their shares' weighted sum; each Gram normalised by C * H * W, as the style_transfer
projects do, which is what the default style weight 1e6 is for), plus total variation
(squared neighbour differences summed in 0-255 units: the scale the TV weight 1e-6 assumes).
With a mask, the style Grams are taken over the masked positions only.

On the CPU the bits do not depend on the machine's or the caller's thread count: torch splits
the sums of matrix products and reductions between its threads, and oneDNN splits a deep
convolution's channel sums by the thread count, so each count rounds differently. The VGG's
convolutions and their input gradients therefore run on a fixed ``CPU_THREADS``, and Gram
products, losses and the optimiser's own arithmetic on one thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from synthfx.errors import CancelledError
from synthfx.keyframe.vgg import VggFeatures

# TV differences are measured in 0-255 steps (see the module docstring).
_TV_SCALE = 255.0

# Fixed, so a 2-core laptop and a 64-core farm node give the same bits; 8 keeps a farm node
# busy, and oversubscribing 2 cores with it measured no slower than 2 threads.
CPU_THREADS = 8

Features = Callable[[torch.Tensor, Iterable[str]], dict[str, torch.Tensor]]


@dataclass(frozen=True)
class Losses:
    """The weighted terms of one evaluation of the objective, and their sum."""

    total: float
    content: float
    style: float
    tv: float


@dataclass(frozen=True)
class GatysSettings:
    """What one optimisation needs beyond the images (``KeyframeOptions`` gives it)."""

    content_layers: tuple[str, ...]
    style_layers: tuple[str, ...]
    layer_weights: tuple[float, ...]
    content_weight: float
    style_weight: float
    tv_weight: float
    optimizer: str
    iterations: int
    lr: float
    init: str
    init_noise: float
    seed: int


def to_tensor(image: np.ndarray, device: torch.device) -> torch.Tensor:
    """(H, W, C) float32 as (1, C, H, W) on ``device``."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None].to(device)


def to_image(tensor: torch.Tensor) -> np.ndarray:
    """(1, C, H, W) as (H, W, C) float32 on the host."""
    return np.ascontiguousarray(tensor[0].detach().permute(1, 2, 0).cpu().numpy(), np.float32)


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch's CPU intra-op threads set to ``count`` inside, the caller's setting after."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _SerialProduct(torch.autograd.Function):
    """``a @ b.T``, forward and backward on one CPU thread (see the module docstring)."""

    @staticmethod
    def forward(
        ctx: torch.autograd.function.FunctionCtx, a: torch.Tensor, b: torch.Tensor
    ) -> torch.Tensor:
        ctx.save_for_backward(a, b)
        with torch_threads(1):
            return a @ b.t()

    @staticmethod
    def backward(
        ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        a, b = ctx.saved_tensors  # type: ignore[attr-defined]
        needs_a, needs_b = ctx.needs_input_grad  # type: ignore[attr-defined]
        with torch_threads(1):
            return (grad @ b if needs_a else None, grad.t() @ a if needs_b else None)


def gram(features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """(C, C) Gram matrix of (1, C, H, W) features over the positions where ``mask`` is.

    Normalised by C times the number (or, for a soft mask, the total weight) of positions, so
    images of different sizes have comparable Grams.
    """
    _, channels, height, width = features.shape
    flat = features.reshape(channels, height * width)
    if mask is None:
        return _SerialProduct.apply(flat, flat) / (channels * height * width)
    weights = F.interpolate(mask, size=(height, width), mode="area").reshape(1, height * width)
    with torch_threads(1):
        count = weights.sum().clamp_min(1.0)
    return _SerialProduct.apply(flat * weights, flat) / (channels * count)


def style_loss(
    features: dict[str, torch.Tensor],
    targets: dict[str, torch.Tensor],
    layer_weights: dict[str, float],
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Sum over style layers of weight * mean squared difference of Gram matrices."""
    terms = [
        layer_weights[name] * F.mse_loss(gram(features[name], mask), target)
        for name, target in targets.items()
    ]
    return torch.stack(terms).sum()


def tv_loss(image: torch.Tensor) -> torch.Tensor:
    """Squared differences of horizontal and vertical neighbours, summed, in 0-255 units."""
    scaled = image * _TV_SCALE
    dx = scaled[..., :, 1:] - scaled[..., :, :-1]
    dy = scaled[..., 1:, :] - scaled[..., :-1, :]
    return dx.square().sum() + dy.square().sum()


def style_targets(
    model: Features,
    styles: Sequence[tuple[torch.Tensor, torch.Tensor | None]],
    shares: Sequence[float],
    layers: Sequence[str],
) -> dict[str, torch.Tensor]:
    """Per style layer, the shares' weighted sum of the references' Gram matrices.

    Args:
        styles: (image (1, 3, H, W), opaque mask (1, 1, H, W) or None) of each reference.
    """
    targets: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for (image, opaque), share in zip(styles, shares, strict=True):
            features = model(image, layers)
            for name in layers:
                weighted = share * gram(features[name], opaque)
                targets[name] = weighted if name not in targets else targets[name] + weighted
    return targets


def initial_image(
    content: torch.Tensor, first_style: torch.Tensor, settings: GatysSettings
) -> torch.Tensor:
    """The start of the optimisation: the plate, the first reference (resized to the plate) or
    uniform noise in [0, 1], with ``init_noise`` of noise mixed in; noise from ``seed``."""
    generator = torch.Generator().manual_seed(settings.seed)
    noise = torch.rand(content.shape, generator=generator).to(content.device)
    if settings.init == "noise":
        return noise
    if settings.init == "style":
        start = F.interpolate(first_style, size=content.shape[-2:], mode="bilinear")
    else:
        start = content
    mix = settings.init_noise
    return (1.0 - mix) * start + mix * noise if mix > 0 else start.clone()


def optimise(
    model: VggFeatures,
    content: torch.Tensor,
    styles: Sequence[tuple[torch.Tensor, torch.Tensor | None]],
    shares: Sequence[float],
    settings: GatysSettings,
    *,
    mask: torch.Tensor | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    report: Callable[[int, Losses, torch.Tensor], None] | None = None,
) -> tuple[torch.Tensor, list[Losses]]:
    """Optimises an image for the Gatys objective.

    Args:
        model: the VGG features (at least as deep as every layer named).
        content: (1, 3, H, W) plate.
        styles: (image (1, 3, H_i, W_i), opaque mask or None) of each reference.
        shares: each reference's weight, summing to 1.
        settings: layers, weights, optimiser, steps, init and seed.
        mask: optional (1, 1, H, W): where the style is measured on the result.
        should_stop: checked at every evaluation; True raises ``CancelledError``.
        report: gets (evaluations done, losses, the image evaluated) after every evaluation of
            the objective.

    Returns:
        The optimised (1, 3, H, W) image and the losses of every evaluation, in order.
    """
    cudnn = torch.backends.cudnn
    # On CUDA: cuDNN's benchmarked algorithms may add in another order from one run to the next.
    deterministic = cudnn.flags(
        enabled=cudnn.enabled,
        benchmark=False,
        deterministic=True,
        allow_tf32=cudnn.allow_tf32,
    )
    with deterministic, torch_threads(1):
        return _optimise(model, content, styles, shares, settings, mask, should_stop, report)


def _optimise(
    model: VggFeatures,
    content: torch.Tensor,
    styles: Sequence[tuple[torch.Tensor, torch.Tensor | None]],
    shares: Sequence[float],
    settings: GatysSettings,
    mask: torch.Tensor | None,
    should_stop: Callable[[], bool],
    report: Callable[[int, Losses, torch.Tensor], None] | None,
) -> tuple[torch.Tensor, list[Losses]]:
    """``optimise``'s work, on one CPU thread but for the VGG's (``CPU_THREADS``)."""

    def features_of(image: torch.Tensor, names: Iterable[str]) -> dict[str, torch.Tensor]:
        with torch_threads(CPU_THREADS):
            return model(image, names)

    layer_weights = dict(zip(settings.style_layers, settings.layer_weights, strict=True))
    targets = style_targets(features_of, styles, shares, settings.style_layers)
    with torch.no_grad():
        content_targets = features_of(content, settings.content_layers)
    image = initial_image(content, styles[0][0], settings).requires_grad_(True)
    layers = (*settings.content_layers, *settings.style_layers)
    history: list[Losses] = []

    def objective() -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        if should_stop():
            raise CancelledError(f"cancelled during the style optimisation ({len(history)} steps)")
        features = features_of(image, layers)
        zero = image.new_zeros(())
        content_term = zero
        if settings.content_layers and settings.content_weight > 0:
            content_term = (
                settings.content_weight
                * torch.stack(
                    [F.mse_loss(features[n], content_targets[n]) for n in settings.content_layers]
                ).sum()
            )
        style_term = settings.style_weight * style_loss(features, targets, layer_weights, mask)
        tv_term = settings.tv_weight * tv_loss(image) if settings.tv_weight > 0 else zero
        return content_term + style_term + tv_term, (content_term, style_term, tv_term)

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        total, (content_term, style_term, tv_term) = objective()
        with torch_threads(CPU_THREADS):  # the convolutions' input gradients
            total.backward()
        losses = Losses(*(float(t.detach()) for t in (total, content_term, style_term, tv_term)))
        history.append(losses)
        if report is not None:
            report(len(history), losses, image)
        return total

    optimiser: torch.optim.Optimizer
    if settings.optimizer == "lbfgs":
        # The strong Wolfe line search keeps every accepted step downhill: without it a first
        # full step on an unnormalised objective (style weight 1e6) can overshoot by orders of
        # magnitude and L-BFGS may end on a worse image than it started from.
        optimiser = torch.optim.LBFGS(
            [image],
            lr=settings.lr,
            max_iter=settings.iterations,
            max_eval=settings.iterations,
            line_search_fn="strong_wolfe",
        )
        optimiser.step(closure)
    else:
        optimiser = torch.optim.Adam([image], lr=settings.lr)
        for _ in range(settings.iterations):
            optimiser.step(closure)
    return image.detach(), history
