# SPDX-License-Identifier: Apache-2.0
"""Every option of a deflicker job, validated, with the defaults that measured best.

``DeflickerOptions.fingerprint()`` is part of every cache key: two jobs share cached frames only
when every option that can change a pixel is equal.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from synthfx.engine import SynthesisParams
from synthfx.errors import InputError
from synthfx.schema import option, options_of, problem

Mode = Literal["fast", "balanced", "accurate"]

# Few iterations and small patches (FastBlend's are 5): a remap only has to carry a
# neighbour's pixels onto the target, not invent texture; 3 px patches measured best
# (bench/deflicker.py: remaps 0.3-1 dB closer to the truth than 5 px).
DEFLICKER_ENGINE_PARAMS = SynthesisParams(
    patch_size=3, search_vote_iters=5, patchmatch_iters=3, uniformity=0.0
)
# Each mode's detail-band temperature (``blend.py``) at error falloff 1, measured best on
# bench/deflicker.py's known answer: a mode with more neighbours can afford to keep only the
# closest matches, one with few must let more in to average the flicker away.
MODE_DETAIL_TEMPERATURE: dict[Mode, float] = {"fast": 0.4, "balanced": 0.3, "accurate": 0.1}
# Largest window: a frame then depends on 2 * 64 + 1 input frames, all kept in memory.
MAX_WINDOW = 64
# Engine parameters that never change a pixel (determinism holds whatever they are).
_NON_PIXEL_ENGINE_FIELDS = ("threads",)
_GUIDES = "guides"


@dataclass(frozen=True)
class DeflickerOptions:
    """Options of one deflicker job.

    Each field's help text, range and choices are its schema (``synthfx.schema``).
    ``engine`` holds the synthesis parameters of every remap.
    """

    mode: Mode = option(  # noqa: RUF009 (a field, as dataclasses.field)
        "balanced",
        help="Which neighbours are remapped onto each frame. Accurate: every frame of the "
        "window; balanced: every second one plus the nearest; fast: frames 1, 2, 4, 8... "
        "away, so the cost grows with the logarithm of the window.",
        label="Mode", param="mode", page=_GUIDES,
    )  # fmt: skip
    window: int = option(
        8,
        help="How many frames before and after each frame are blended into it. Wider is "
        "steadier and slower.",
        label="Window", param="window", page=_GUIDES, minimum=1, maximum=MAX_WINDOW,
        display=(1, 32),
    )  # fmt: skip
    guide_weight: float = option(
        10.0,
        help="How strongly the Guide plate steers the match of a neighbour onto the frame, "
        "next to the flickering render itself.",
        label="Guide Weight", param="guideWeight", page=_GUIDES, minimum=0, display=(0, 30),
    )  # fmt: skip
    render_weight: float = option(
        1.0,
        help="How strongly the flickering render's own colours steer the match.",
        label="Render Weight", param="renderWeight", page=_GUIDES, minimum=0, display=(0, 10),
    )  # fmt: skip
    error_falloff: float = option(
        1.0,
        help="How quickly a badly matching neighbour pixel (occluded, or out of view) loses "
        "its weight, relative to the mode's measured best: lower trusts only the best "
        "matches, higher averages more flicker away.",
        label="Error Falloff", param="errorFalloff", page=_GUIDES, minimum=0.01,
        display=(0.1, 10),
    )  # fmt: skip
    engine: SynthesisParams = field(default_factory=lambda: DEFLICKER_ENGINE_PARAMS)

    def __post_init__(self) -> None:
        for opt in options_of(DeflickerOptions):
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
    def from_dict(cls, values: dict[str, Any]) -> DeflickerOptions:
        """Options from ``to_dict`` output; missing keys take their defaults.

        Raises:
            InputError: unknown keys (named) or invalid values.
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"unknown deflicker option(s): {', '.join(unknown)}")
        values = dict(values)
        if isinstance(values.get("engine"), dict):
            engine_known = {f.name for f in dataclasses.fields(SynthesisParams)}
            engine_unknown = sorted(set(values["engine"]) - engine_known)
            if engine_unknown:
                raise InputError(f"unknown engine option(s): {', '.join(engine_unknown)}")
            values["engine"] = SynthesisParams(**values["engine"])
        return cls(**values)

    @property
    def detail_temperature(self) -> float:
        """The detail band's blending temperature (``blend.py``): the mode's times the falloff."""
        return MODE_DETAIL_TEMPERATURE[self.mode] * self.error_falloff

    def fingerprint(self) -> str:
        """Canonical text of every option that can change a pixel (for cache keys)."""
        values = self.to_dict()
        for name in _NON_PIXEL_ENGINE_FIELDS:
            values["engine"].pop(name)
        return json.dumps(values, sort_keys=True, separators=(",", ":"))
