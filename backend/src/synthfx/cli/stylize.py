# SPDX-License-Identifier: Apache-2.0
"""``synthfx stylize``: propagate painted keyframes through a shot.

synthfx stylize --frames shot/f.####.exr --range 1001-1100 --key 1001=paint/k1001.exr \\
    --key 1050=paint/k1050.exr --out out/f.####.exr
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthfx.cli.cluster import add_cluster_options, cluster_of
from synthfx.cli.engine_options import add_engine_options, add_options, engine_params, option_values
from synthfx.engine import EZSYNTH_VIDEO_PARAMS
from synthfx.errors import InputError
from synthfx.io import FrameRange, FrameSource, SequenceSource, VideoSource, open_frames, read_image
from synthfx.pipeline import ProgressEvent, StylizeOptions, Stylizer
from synthfx.pipeline.outputs import SequenceWriter
from synthfx.schema import options_of
from synthfx.sheet import read_sheet_keys

if TYPE_CHECKING:
    from synthfx.cluster import ClusterAddress, ClusterOptions, ClusterPasses

_DEFAULTS = StylizeOptions()


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "stylize",
        help="stylize a shot from painted keyframes",
        description="Propagate painted keyframes through a shot: forward and reverse passes "
        "between keys, blended per pixel; float in, float out. Reruns skip finished frames.",
    )
    shot = parser.add_argument_group("shot")
    shot.add_argument(
        "--frames", required=True, help="frame pattern (f.####.exr, f.%%04d.png) or a video file"
    )
    shot.add_argument("--range", dest="frame_range", help="frames A-B (default: all found)")
    shot.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="FRAME=PATH",
        help="a painted keyframe; repeat for more",
    )
    shot.add_argument(
        "--sheet", help="a styled key sheet (synthfx sheet pack): its cells are the keys"
    )
    shot.add_argument("--layout", help="the key sheet's layout (sheet.json); with --sheet")
    shot.add_argument("--mask", help="mask frame pattern (1 channel, or alpha)")
    output = parser.add_argument_group("output")
    output.add_argument("--out", required=True, help="output frame pattern (f.####.exr)")
    output.add_argument(
        "--dtype", choices=["half", "float"], help="EXR/TIFF sample type (default: the format's)"
    )
    output.add_argument("--error-out", help="also write each frame's synthesis error (pattern)")
    output.add_argument("--cache", type=Path, help="cache directory (default: OUT_DIR/.synthfx)")
    output.add_argument("--force", action="store_true", help="rewrite finished frames too")
    output.add_argument("--json", action="store_true", help="print a JSON summary")
    output.add_argument("--quiet", action="store_true", help="no progress bar")
    output.add_argument(
        "--backend", metavar="ADDR", help="render on a synthfx serve backend (HOST:PORT, unix:PATH)"
    )
    output.add_argument("--backend-token-file", type=Path, help="token for --backend")
    output.add_argument(
        "--backend-tls-ca", type=Path, help="PEM CA of --backend's certificate (enables TLS)"
    )
    pages = {"guides": "guides, flow and blending", "mask": "masks"}
    for page, title in pages.items():
        options = tuple(o for o in options_of(StylizeOptions) if o.info.page == page)
        add_options(parser.add_argument_group(title), options, _DEFAULTS)
    add_engine_options(parser, EZSYNTH_VIDEO_PARAMS)
    add_cluster_options(parser)
    parser.set_defaults(run=run)


def parse_keys(specs: list[str]) -> dict[int, Path]:
    """``["12=paint/k12.exr", ...]`` -> {12: Path(...)}; errors name the bad spec."""
    if not specs:
        raise InputError("no keyframes: give at least one --key FRAME=PATH")
    keys: dict[int, Path] = {}
    for spec in specs:
        frame_text, sep, path = spec.partition("=")
        try:
            frame = int(frame_text)
        except ValueError:
            frame = None
        if not sep or frame is None or not path:
            raise InputError(f"--key {spec!r}: expected FRAME=PATH, e.g. --key 1001=k1001.exr")
        if frame in keys:
            raise InputError(f"--key: frame {frame} given twice")
        keys[frame] = Path(path)
    return keys


def input_files(
    frames: FrameSource, mask: FrameSource | None, keys: dict[int, Path]
) -> dict[Path, str]:
    """Resolved path -> what it is, for every file the job reads (outputs must not be one)."""
    files: dict[Path, str] = {}
    for source, what in ((frames, "--frames"), (mask, "--mask")):
        if isinstance(source, SequenceSource):
            for frame in source.frame_range:
                files[source.sequence.path(frame).resolve()] = what
        elif isinstance(source, VideoSource):
            files[source.reader.path.resolve()] = what
    for frame, path in keys.items():
        files[path.resolve()] = f"--key {frame}"
    return files


def stylize_options(args: argparse.Namespace) -> StylizeOptions:
    return StylizeOptions(**option_values(args, StylizeOptions), engine=engine_params(args))


class ProgressBar:
    """A tqdm bar on stderr fed by ProgressEvents (created on the first event)."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        self.enabled = enabled

    def __call__(self, event: ProgressEvent) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=event.total, unit="step", file=sys.stderr, leave=False)
        self.bar.total = event.total
        within = "" if event.fraction is None else f" {event.fraction:.0%}"
        self.bar.set_postfix_str(f"{event.stage} {event.frame}{within}", refresh=False)
        self.bar.update(event.done - self.bar.n)
        if event.fraction is not None:
            self.bar.refresh()  # done is unchanged: update() alone would not redraw

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def sheet_keys(args: argparse.Namespace) -> tuple[dict[int, np.ndarray], dict[Path, str]]:
    """The keys cut from ``--sheet`` by ``--layout``, and those two files (as inputs)."""
    if args.key:
        raise InputError("--key and --sheet both give keyframes: use one or the other")
    if not (args.sheet and args.layout):
        raise InputError("--sheet and --layout go together (the layout sheet pack wrote)")
    keys = read_sheet_keys(args.sheet, args.layout)
    return keys, {Path(args.sheet).resolve(): "--sheet", Path(args.layout).resolve(): "--layout"}


def run(args: argparse.Namespace) -> int:
    report = run_job(args)
    if args.json or "backend" in report:
        print(json.dumps(report))
    else:
        per_frame = ", ".join(
            f"{stage} {seconds:.2f}" for stage, seconds in report["seconds_per_frame"].items()
        )
        print(
            f"synthfx stylize: {report['written']} frames written, {report['skipped']} up to "
            f"date, {report['seconds']:.1f} s; per frame: {per_frame} s"
        )
    return 0


def run_job(args: argparse.Namespace) -> dict[str, Any]:
    """Stylizes the shot ``args`` describe; returns the summary ``--json`` prints."""
    cluster = cluster_of(args)
    if cluster is not None and args.backend:
        raise InputError("--cluster and --backend both say where to render: use one")
    if cluster is not None:
        from synthfx.cluster import import_ray

        import_ray()  # without Ray, fail before reading the shot
    if args.sheet is not None or args.layout is not None:
        key_paths, (keys, sheet_files) = {}, sheet_keys(args)
    else:
        key_paths, sheet_files = parse_keys(args.key), {}
        keys = {frame: read_image(path).pixels for frame, path in key_paths.items()}
    frame_range = FrameRange.parse(args.frame_range) if args.frame_range else None
    frames = open_frames(args.frames, frame_range)
    mask = open_frames(args.mask, frames.frame_range) if args.mask else None
    for source in (frames, mask):
        if source is not None:
            source.check_shapes()  # headers only: an odd frame fails before any work
    options = stylize_options(args)
    writer = SequenceWriter(args.out, dtype=args.dtype, error_pattern=args.error_out)
    writer.check_paths(frames.frame_range, input_files(frames, mask, key_paths) | sheet_files)
    cache = args.cache if args.cache is not None else writer.directory / ".synthfx"
    if args.backend:
        from synthfx.client.remote import stylize_remotely

        written = stylize_remotely(
            args.backend, frames, keys, mask, options, writer.write,
            want_error=args.error_out is not None, token_file=args.backend_token_file,
            tls_ca=args.backend_tls_ca,
        )  # fmt: skip
        return {"out": args.out, "written": written, "backend": args.backend}
    progress = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
    done = None if args.force else writer.is_done
    retried: list[str] = []
    task_seconds = 0.0
    try:
        with _cluster_passes(args, cluster, frames, mask, keys, options, cache) as passes:
            with Stylizer(
                frames, keys, mask=mask, options=options, cache_dir=cache, progress=progress,
                pass_runner=None if passes is None else passes.ensure,
            ) as stylizer:  # fmt: skip
                writer.attach(stylizer.store, stylizer.final_key)
                if passes is not None:
                    from synthfx.cluster import queue_passes

                    queue_passes(passes, stylizer, done=done)
                summary = stylizer.run(writer.write, done=done)
            if passes is not None:
                retried, task_seconds = passes.retried, passes.task_seconds
    finally:
        progress.close()
        close = getattr(frames, "close", None)
        if close is not None:
            close()
    report: dict[str, Any] = {
        "out": args.out,
        "frames": summary.frames,
        "written": summary.written,
        "skipped": summary.skipped,
        "keys": sorted(keys),
        "seconds": round(summary.seconds, 3),
        "seconds_per_frame": {
            stage: round(seconds / max(summary.written, 1), 4)
            for stage, seconds in summary.stage_seconds.items()
        },
        "cache": str(cache),
    }
    if cluster is not None:
        report["cluster"] = str(cluster[0])
        report["retried"] = retried
        report["task_seconds"] = round(task_seconds, 3)
    return report


def _cluster_passes(
    args: argparse.Namespace,
    cluster: tuple[ClusterAddress, ClusterOptions] | None,
    frames: FrameSource,
    mask: FrameSource | None,
    keys: dict[int, np.ndarray],
    options: StylizeOptions,
    cache: Path,
) -> contextlib.AbstractContextManager[ClusterPasses | None]:
    """The cluster's pass runner for the job (None without --cluster)."""
    if cluster is None:
        return contextlib.nullcontext(None)
    from synthfx.cluster import ShotSpec, shared_path, stylize_on_cluster

    frame_range = frames.frame_range
    shot = ShotSpec(
        frames=shared_path(args.frames),
        first=frame_range.first,
        last=frame_range.last,
        mask=None if args.mask is None else shared_path(args.mask),
        keys=keys,
        options=options,
        cache_dir=shared_path(cache),
    )
    log = lambda line: print(f"synthfx stylize: {line}", file=sys.stderr)  # noqa: E731
    return stylize_on_cluster(*cluster, shot, log=log)
