# SPDX-License-Identifier: Apache-2.0
"""Every option of a video stylization job, validated, with Ezsynth's defaults.

``StylizeOptions.fingerprint()`` is part of every cache key: two jobs share cached results only
when every option that can change a pixel is equal.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from synthfx.blend.combine import DEFAULT_SCREENING
from synthfx.blend.detail import DEFAULT_DETAIL
from synthfx.blend.source_match import DEFAULT_MIXING
from synthfx.engine import EZSYNTH_VIDEO_PARAMS, SynthesisParams
from synthfx.errors import InputError
from synthfx.flow.factory import DEFAULT_FLOW
from synthfx.guides.edges import EdgeMethod
from synthfx.guides.weights import (
    EDGE_WEIGHT,
    IMAGE_WEIGHT,
    MASK_WEIGHT,
    POSITIONAL_WEIGHT,
    TEMPORAL_WEIGHT,
)
from synthfx.pipeline.planning import Direction
from synthfx.schema import option, options_of, problem

MaskMode = Literal["after", "before"]
MaskOutput = Literal["premultiplied", "over-source"]

# Engine parameters that never change a pixel (determinism holds whatever they are).
_NON_PIXEL_ENGINE_FIELDS = ("threads",)
# Options applied after the synthesis passes: changing them reuses the cached passes.
_POST_PASS_FIELDS = (
    "only",
    "feather",
    "mask_output",
    "screening",
    "selection_smoothing",
    "selection_softness",
    "carried_key_mixing",
    "detail_restoration",
)
_GUIDES, _MASK = "guides", "mask"
# The plugin's menu, whose indices saved scripts hold: new entries go at the end.
_FLOW_MENU = ("dis-medium", "dis-fast", "dis-ultrafast", "dis-fine")


@dataclass(frozen=True)
class StylizeOptions:
    """Options of one stylization job, with Ezsynth's defaults.

    Each field's help text, range and choices are its schema (``synthfx.schema``): the CLI,
    the proto mapping and the plugin's parameters are derived from or checked against it.
    ``engine`` holds the synthesis parameters (Ezsynth's video parameters by default).
    """

    edge: EdgeMethod = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "classic",
        help="How edges of the Source frames are found for the edge guide.",
        label="Edge Guide", param="edgeMethod", page=_GUIDES,
    )  # fmt: skip
    flow: str = option(
        DEFAULT_FLOW,
        help="Motion estimation between Source frames; faster is rougher.",
        label="Optical Flow", param="flow", page=_GUIDES, suggestions=_FLOW_MENU,
        open_form="raft:WEIGHTS.pth",
    )  # fmt: skip
    only: Direction | None = option(  # noqa: RUF009 (a field, as dataclasses.field)
        None,
        help="Both: blend the passes from the keys before and after each frame. Forward: use "
        "only the pass from the key before; reverse: only the one from the key after.",
        label="Direction", param="direction", page=_GUIDES,
    )  # fmt: skip
    edge_weight: float = option(
        EDGE_WEIGHT,
        help="How strongly edges guide the look (0 leaves them out).",
        label="Edge Weight", param="edgeWeight", page=_GUIDES, minimum=0, display=(0, 10),
    )  # fmt: skip
    image_weight: float = option(
        IMAGE_WEIGHT,
        help="How strongly Source colours guide the look.",
        label="Colour Weight", param="imageWeight", page=_GUIDES, minimum=0, display=(0, 20),
    )  # fmt: skip
    positional_weight: float = option(
        POSITIONAL_WEIGHT,
        help="How strongly brush strokes stick to the moving surface (the keyframe's pixel "
        "positions carried along the optical flow).",
        label="Position Weight", param="positionalWeight", page=_GUIDES, minimum=0,
        display=(0, 10),
    )  # fmt: skip
    temporal_weight: float = option(
        TEMPORAL_WEIGHT,
        help="How strongly each frame follows the previous stylized frame, warped along the "
        "optical flow: higher is steadier from frame to frame.",
        label="Temporal Weight", param="temporalWeight", page=_GUIDES, minimum=0,
        display=(0, 5),
    )  # fmt: skip
    mask_weight: float = option(
        MASK_WEIGHT,
        help="Strength of the mask guide in Before mode.",
        label="Mask Weight", param="maskWeight", page=_MASK, minimum=0, display=(0, 50),
    )  # fmt: skip
    mask_mode: MaskMode = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "after",
        help="After: stylize everything, then cut out with the Mask. Before: the mask also "
        "guides synthesis and patches come only from inside the keyframe's mask, so the "
        "masked object never borrows background texture.",
        label="Mask Mode", param="maskMode", page=_MASK,
    )  # fmt: skip
    feather: float = option(
        0.0,
        help="Softens the mask edge of the result over about this many pixels on each side.",
        label="Feather", param="feather", page=_MASK, minimum=0, display=(0, 50),
    )  # fmt: skip
    mask_output: MaskOutput = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "premultiplied",
        help="Premultiplied: colour times the mask, alpha = mask (for a Merge over). "
        "Over-source: the stylized frame composited over the Source frame.",
        label="Masked Result", param="maskOutput", page=_MASK,
    )  # fmt: skip
    screening: float = option(
        DEFAULT_SCREENING,
        help="Where passes from two keys meet: higher keeps more of each pass's own colours, "
        "lower blends them more smoothly (screened Poisson weight, 1/pixel^2).",
        label="Blend Screening", param="screening", page=_GUIDES, minimum=0, display=(0, 1),
    )  # fmt: skip
    selection_smoothing: float = option(
        2.0,
        help="Softening of the seam between the passes from two keys, in pixels.",
        label="Blend Softness", param="selectionSmoothing", page=_GUIDES, minimum=0,
        display=(0, 10),
    )  # fmt: skip
    selection_softness: float = option(
        0.0,
        help="Where the passes from two keys disagree: 0 takes, per pixel, the pass that "
        "matched better; higher mixes the two where their match errors are close (1: errors "
        "within about their mean are mixed), steadier and smoother, slightly softer lines.",
        label="Blend Mixing", param="selectionSoftness", page=_GUIDES, minimum=0,
        display=(0, 3),
    )  # fmt: skip
    carried_key_mixing: float = option(
        DEFAULT_MIXING,
        help="0: blend the passes by their match errors and gradients. Above 0: each pass and "
        "its keyframe carried along the optical flow are mixed per pixel, weighted by how well "
        "the keyframe's Source colours where each took its look match this frame's; lower is "
        "sharper, higher smoother. Not used with Mask Mode Before and a Mask.",
        label="Carried Key Mixing", param="carriedKeyMixing", page=_GUIDES, minimum=0,
        display=(0, 2),
    )  # fmt: skip
    detail_restoration: float = option(
        DEFAULT_DETAIL,
        help="With Carried Key Mixing: 0 keeps the mix as it is. Above 0: the mix's fine detail "
        "(thin lines, texture) is lifted back towards the keyframes' own contrast where the "
        "mixed looks agree, never beyond the values they hold around each pixel; higher is "
        "crisper, slightly less steady.",
        label="Detail Restoration", param="detailRestoration", page=_GUIDES, minimum=0,
        display=(0, 4),
    )  # fmt: skip
    nnf_seed_levels: int = option(
        1,
        help="0: every frame is matched from scratch. N: each frame starts from the previous "
        "frame's matches carried along the optical flow and refines only the finest N "
        "resolution levels (faster; fewer levels trust the flow more). CPU engine only: on "
        "CUDA every frame is matched from scratch.",
        label="Match Seeding Levels", param="nnfSeedLevels", page=_GUIDES, minimum=0,
        maximum=32, display=(0, 6),
    )  # fmt: skip
    engine: SynthesisParams = field(default_factory=lambda: EZSYNTH_VIDEO_PARAMS)

    def __post_init__(self) -> None:
        for opt in options_of(StylizeOptions):
            message = problem(opt, getattr(self, opt.name))
            if message:
                raise InputError(message)
        if not isinstance(self.engine, SynthesisParams):
            raise InputError(f"engine must be SynthesisParams, got {type(self.engine).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict; ``from_dict`` inverts it."""
        values = dataclasses.asdict(self)
        values["engine"] = dataclasses.asdict(self.engine)
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> StylizeOptions:
        """Options from ``to_dict`` output; missing keys take their defaults, missing engine
        keys those of the default engine (Ezsynth's video parameters).

        Raises:
            InputError: unknown keys (named) or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown stylize option(s): {', '.join(unknown)}")
        values = dict(values)
        if "engine" in values and isinstance(values["engine"], dict):
            engine_known = {f.name for f in dataclasses.fields(SynthesisParams)}
            engine_unknown = sorted(set(values["engine"]) - engine_known)
            if engine_unknown:
                raise InputError(f"unknown engine option(s): {', '.join(engine_unknown)}")
            values["engine"] = dataclasses.replace(EZSYNTH_VIDEO_PARAMS, **values["engine"])
        return cls(**values)

    def fingerprint(self) -> str:
        """Canonical text of every option that can change a pixel (for cache keys)."""
        values = self.to_dict()
        for name in _NON_PIXEL_ENGINE_FIELDS:
            values["engine"].pop(name)
        return json.dumps(values, sort_keys=True, separators=(",", ":"))

    def pass_fingerprint(self) -> str:
        """Like ``fingerprint`` but only the options a synthesis pass depends on."""
        values = json.loads(self.fingerprint())
        for name in _POST_PASS_FIELDS:
            values.pop(name)
        return json.dumps(values, sort_keys=True, separators=(",", ":"))
