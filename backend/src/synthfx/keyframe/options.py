# SPDX-License-Identifier: Apache-2.0
"""Every option of a keyframe job (``synthfx keyframe``), validated, with its defaults.

The Gatys defaults are those of the style_transfer projects we follow (content weight 1, style
weight 1e6, total variation 1e-6, L-BFGS); the layer defaults are the paper's (Gatys et al.
2016: content on conv4_2's rectified output, style on the first layer of each block).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from synthfx.engine import SynthesisParams
from synthfx.errors import InputError
from synthfx.guides.weights import MASK_WEIGHT
from synthfx.keyframe.layers import layer_index
from synthfx.schema import option, options_of, problem

Method = Literal["patch", "gatys"]
PreserveColour = Literal["none", "histogram", "luminance"]
Network = Literal["vgg19", "vgg16"]
Optimizer = Literal["lbfgs", "adam"]
Init = Literal["content", "style", "noise"]
Device = Literal["auto", "cpu", "cuda"]

# Patch synthesis of a keyframe: larger patches than Ebsynth's default carry whole brush
# strokes, and uniformity spreads every part of the painting over the frame instead of
# repeating its few best-matching patches (Ebsynth's default weight).
KEYFRAME_ENGINE_PARAMS = SynthesisParams(
    patch_size=7, uniformity=3500.0, search_vote_iters=8, patchmatch_iters=4
)
# The largest output scale: 4 x a 4K plate is already 16K.
MAX_OUTPUT_SCALE = 4.0
# The content/style layer lists' word for "no layer" (feature inversion: a texture from noise).
NO_LAYERS = "none"
# L-BFGS takes whole quasi-Newton steps (1 is its natural scale); Adam moves every pixel by
# about lr per step, in 0-1 image units.
DEFAULT_LR: dict[str, float] = {"lbfgs": 1.0, "adam": 0.02}
_KEYFRAME = "keyframe"  # the plugin's pages of these options
_PATCH = "patch"
_GATYS = "gatys"


@dataclass(frozen=True)
class KeyframeOptions:
    """Options of one keyframe: a plate styled from one or more reference paintings.

    Each field's help text, range and choices are its schema (``synthfx.schema``).
    ``engine`` and the patch page's guide weights also drive the guided upsampling of a gatys
    result; ``reference_weights`` is the share of each reference (empty: equal).
    """

    method: Method = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "patch",
        help="How the keyframe is made. patch: guided patch synthesis from the painting, needs "
        "no weights; gatys: neural style transfer (Gatys et al.), needs VGG weights and torch.",
        label="Method", param="method", page=_KEYFRAME,
    )  # fmt: skip
    preserve_colour: PreserveColour = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "none",
        help="Keep the plate's colours: histogram gives the result the plate's colour "
        "histogram, luminance keeps the plate's colours and takes only the style's lightness.",
        label="Preserve Colour", param="preserveColour", page=_KEYFRAME,
    )  # fmt: skip
    output_scale: float = option(
        1.0,
        help="Size of the keyframe relative to the plate.",
        label="Output Scale", param="outputScale", page=_KEYFRAME, minimum=0.05,
        maximum=MAX_OUTPUT_SCALE,
        display=(0.25, 2),
    )  # fmt: skip
    colour_weight: float = option(
        6.0,
        help="patch: how strongly the plate's colours (remapped to the painting's palette) "
        "steer which strokes go where.",
        label="Colour Weight", param="colourWeight", page=_PATCH, minimum=0, display=(0, 20),
    )  # fmt: skip
    luminance_weight: float = option(
        0.0,
        help="patch: how strongly the plate's lightness (remapped to the painting's) steers "
        "the strokes; raise it, and lower Colour Weight, for a painting whose colours have "
        "nothing to do with the plate's.",
        label="Luminance Weight", param="luminanceWeight", page=_PATCH, minimum=0,
        display=(0, 20),
    )  # fmt: skip
    edge_weight: float = option(
        2.0,
        help="patch: how strongly the plate's edges steer the strokes.",
        label="Edge Weight", param="edgeWeight", page=_PATCH, minimum=0, display=(0, 10),
    )  # fmt: skip
    segmentation_weight: float = option(
        MASK_WEIGHT,
        help="patch: with a segmentation of the plate and of each painting, how strongly each "
        "painted region's strokes are kept to the same region of the plate.",
        label="Segmentation Weight", param="segmentationWeight", page=_PATCH, minimum=0,
        display=(0, 30),
    )  # fmt: skip
    network: Network = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "vgg19",
        help="gatys: the VGG network the weights are for.",
        label="Network", param="network", page=_GATYS,
    )  # fmt: skip
    weights: str | None = option(
        None,
        help="gatys: the VGG weights file, a torchvision-layout state dict (vgg19.pth). "
        "Never downloaded.",
        label="Weights", param="weights", page=_GATYS,
    )  # fmt: skip
    content_layers: str = option(
        "relu4_2",
        help="gatys: comma-separated layers whose features the result keeps from the plate "
        "(conv1_1 ... relu5_4), or none.",
        label="Content Layers", param="contentLayers", page=_GATYS,
        suggestions=("relu4_2", "conv4_2", NO_LAYERS),
    )  # fmt: skip
    style_layers: str = option(
        "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1",
        help="gatys: comma-separated layers whose Gram matrices the result takes from the "
        "painting.",
        label="Style Layers", param="styleLayers", page=_GATYS,
        suggestions=("relu1_1,relu2_1,relu3_1,relu4_1,relu5_1", "conv3_3"),
    )  # fmt: skip
    style_layer_weights: str | None = option(
        None,
        help="gatys: comma-separated weight of each style layer (default: equal).",
        label="Style Layer Weights", param="styleLayerWeights", page=_GATYS,
    )  # fmt: skip
    content_weight: float = option(
        1.0,
        help="gatys: how much the plate's content counts.",
        label="Content Weight", param="contentWeight", page=_GATYS, minimum=0,
        display=(0, 10),
    )  # fmt: skip
    style_weight: float = option(
        1e6,
        help="gatys: how much the painting's style counts.",
        label="Style Weight", param="styleWeight", page=_GATYS, minimum=0,
        display=(0, 1e7),
    )  # fmt: skip
    tv_weight: float = option(
        1e-6,
        help="gatys: total-variation smoothing of the result.",
        label="TV Weight", param="tvWeight", page=_GATYS, minimum=0,
        display=(0, 1e-4),
    )  # fmt: skip
    optimizer: Optimizer = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "lbfgs",
        help="gatys: lbfgs (fewer, stronger steps) or adam.",
        label="Optimizer", param="optimizer", page=_GATYS,
    )  # fmt: skip
    iterations: int = option(
        300,
        help="gatys: optimisation steps (L-BFGS: evaluations of the objective; its last line "
        "search may add a few).",
        label="Iterations", param="iterations", page=_GATYS, minimum=1, maximum=100000,
        display=(50, 1000),
    )  # fmt: skip
    lr: float | None = option(
        None,
        help="gatys: step size; default 1 for L-BFGS, 0.02 for Adam (image in 0-1 units).",
        label="Learning Rate", param="lr", page=_GATYS, minimum=0,
    )  # fmt: skip
    init: Init = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "content",
        help="gatys: what the optimisation starts from: the plate, the painting, or noise.",
        label="Init", param="init", page=_GATYS,
    )  # fmt: skip
    init_noise: float = option(
        0.0,
        help="gatys: fraction of noise mixed into the start image.",
        label="Init Noise", param="initNoise", page=_GATYS, minimum=0, maximum=1,
        display=(0, 1),
    )  # fmt: skip
    noise_seed: int = option(
        0,
        help="gatys: random seed of the noise; the same seed gives the same result on the CPU, "
        "whatever the number of threads.",
        label="Noise Seed", param="noiseSeed", page=_GATYS, minimum=0, maximum=2**63 - 1,
        display=(0, 100),
    )  # fmt: skip
    max_size: int = option(
        512,
        help="gatys: the longest side the optimisation works at; larger keyframes are "
        "upsampled by guided patch synthesis.",
        label="Working Size", param="maxSize", page=_GATYS, minimum=16, maximum=8192,
        display=(256, 1024),
    )  # fmt: skip
    snapshot_every: int = option(
        0,
        help="gatys: keep the image every this many evaluations, to show how the optimisation "
        "went (the CLI's --progress-strip); 0 keeps none.",
        label="Snapshot Every", param="snapshotEvery", page=_GATYS, minimum=0, maximum=100000,
    )  # fmt: skip
    torch_device: Device = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "auto",
        help="gatys: where torch computes; auto uses CUDA when torch has it.",
        label="Torch Device", param="torchDevice", page=_GATYS,
    )  # fmt: skip
    reference_weights: tuple[float, ...] = ()
    engine: SynthesisParams = field(default_factory=lambda: KEYFRAME_ENGINE_PARAMS)

    def __post_init__(self) -> None:
        for opt in options_of(KeyframeOptions):
            message = problem(opt, getattr(self, opt.name))
            if message:
                raise InputError(message)
        for weight in self.reference_weights:
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not math.isfinite(weight)
                or weight < 0
            ):
                raise InputError(f"reference weights must be finite and >= 0, got {weight!r}")
        if self.reference_weights and sum(self.reference_weights) <= 0:
            raise InputError("reference weights must not all be 0")
        if not isinstance(self.engine, SynthesisParams):
            raise InputError(f"engine must be SynthesisParams, got {type(self.engine).__name__}")
        for name in (*self.content_layer_names(), *self.style_layer_names()):
            layer_index(self.network, name)
        if not self.style_layer_names():
            raise InputError(f"style_layers must name at least one layer, not {NO_LAYERS!r}")
        self.layer_weights(len(self.style_layer_names()))

    def replace(self, **changes: object) -> KeyframeOptions:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; ``from_dict`` inverts it."""
        values = dataclasses.asdict(self)
        values["reference_weights"] = list(self.reference_weights)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> KeyframeOptions:
        """Options from ``to_dict`` output; missing keys take their defaults.

        Raises:
            InputError: unknown keys (named) or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown keyframe option(s): {', '.join(unknown)}")
        values = dict(values)
        if "reference_weights" in values:
            values["reference_weights"] = tuple(values["reference_weights"])
        if isinstance(values.get("engine"), dict):
            engine_known = {f.name for f in dataclasses.fields(SynthesisParams)}
            engine_unknown = sorted(set(values["engine"]) - engine_known)
            if engine_unknown:
                raise InputError(f"unknown engine option(s): {', '.join(engine_unknown)}")
            values["engine"] = SynthesisParams(**values["engine"])
        return cls(**values)

    def learning_rate(self) -> float:
        """The optimiser's step size: ``lr``, or the optimiser's default."""
        if self.lr is not None:
            return float(self.lr)
        return DEFAULT_LR[self.optimizer]

    def reference_shares(self, count: int) -> tuple[float, ...]:
        """The weight of each of ``count`` references, summing to 1.

        Raises:
            InputError: as many weights as references were not given.
        """
        weights = self.reference_weights or (1.0,) * count
        if len(weights) != count:
            raise InputError(f"{len(weights)} reference weights for {count} references")
        total = float(sum(weights))
        return tuple(float(w) / total for w in weights)

    def content_layer_names(self) -> tuple[str, ...]:
        return _layer_list(self.content_layers, "content_layers")

    def style_layer_names(self) -> tuple[str, ...]:
        return _layer_list(self.style_layers, "style_layers")

    def layer_weights(self, count: int) -> tuple[float, ...]:
        """The weight of each of ``count`` style layers (equal, 1 each, when not given)."""
        if self.style_layer_weights is None:
            return (1.0,) * count
        try:
            weights = tuple(float(w) for w in self.style_layer_weights.split(","))
        except ValueError:
            raise InputError(
                f"style_layer_weights must be comma-separated numbers, "
                f"got {self.style_layer_weights!r}"
            ) from None
        if len(weights) != count:
            raise InputError(
                f"style_layer_weights has {len(weights)} values for {count} style layers"
            )
        if any(not math.isfinite(w) or w < 0 for w in weights):
            raise InputError(f"style_layer_weights must be finite and >= 0, got {weights}")
        return weights


def _layer_list(text: str, name: str) -> tuple[str, ...]:
    """Layer names of a comma-separated list; "none" is the empty list."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if names == (NO_LAYERS,):
        return ()
    if not names:
        raise InputError(f"{name} must name layers (conv1_1 ... relu5_4) or be {NO_LAYERS!r}")
    return names
