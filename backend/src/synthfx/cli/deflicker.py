# SPDX-License-Identifier: Apache-2.0
"""``synthfx deflicker``: make a flickering per-frame render temporally stable.

synthfx deflicker --frames render/r.####.exr --guide plate/p.####.exr --range 1001-1100 \\
    --out out/d.####.exr --mode balanced --window 8
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
from synthfx.cli.stylize import ProgressBar
from synthfx.deflicker import DEFLICKER_ENGINE_PARAMS, Deflicker, DeflickerOptions, DeflickerResult
from synthfx.errors import InputError
from synthfx.io import FrameRange, FrameSource, SequenceSource, VideoSource, open_frames
from synthfx.pipeline.outputs import SequenceWriter
from synthfx.pipeline.stylizer import RenderResult
from synthfx.schema import options_of

if TYPE_CHECKING:
    from synthfx.cluster import ClusterAddress, ClusterOptions
    from synthfx.cluster.deflicker import ClusterFrames

_DEFAULTS = DeflickerOptions()


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "deflicker",
        help="make a flickering per-frame render temporally stable",
        description="Remap neighbouring frames of a flickering render onto each frame, "
        "guided by the original plate, and blend them weighted by how well they match; "
        "float in, float out. Reruns skip finished frames.",
    )
    shot = parser.add_argument_group("shot")
    shot.add_argument(
        "--frames",
        required=True,
        help="the flickering render: frame pattern (r.####.exr, r.%%04d.png) or a video file",
    )
    shot.add_argument("--guide", required=True, help="the original plate (pattern or video)")
    shot.add_argument("--range", dest="frame_range", help="frames A-B (default: all found)")
    shot.add_argument("--mask", help="mask frame pattern: deflicker only where it is 1")
    output = parser.add_argument_group("output")
    output.add_argument("--out", required=True, help="output frame pattern (d.####.exr)")
    output.add_argument(
        "--dtype", choices=["half", "float"], help="EXR/TIFF sample type (default: the format's)"
    )
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
    add_options(parser.add_argument_group("deflicker"), options_of(DeflickerOptions), _DEFAULTS)
    add_engine_options(parser, DEFLICKER_ENGINE_PARAMS)
    add_cluster_options(parser)
    parser.set_defaults(run=run)


def deflicker_options(args: argparse.Namespace) -> DeflickerOptions:
    return DeflickerOptions(**option_values(args, DeflickerOptions), engine=engine_params(args))


def as_rgba(result: DeflickerResult) -> RenderResult:
    """The frame as the RGBA the sequence writer stores: grey replicated, alpha 1 if none."""
    image = result.image
    channels = image.shape[2]
    colour = np.repeat(image[..., :1], 3, axis=2) if channels in (1, 2) else image[..., :3]
    if channels in (2, 4):
        alpha = image[..., -1:]
    else:
        alpha = np.ones((*image.shape[:2], 1), np.float32)
    rgba = np.ascontiguousarray(np.concatenate([colour, alpha], axis=2), dtype=np.float32)
    return RenderResult(rgba, result.support)


def _input_files(sources: dict[str, FrameSource | None]) -> dict[Path, str]:
    """Resolved path -> option, for every file the job reads (outputs must not be one)."""
    files: dict[Path, str] = {}
    for what, source in sources.items():
        if isinstance(source, SequenceSource):
            for frame in source.frame_range:
                files[source.sequence.path(frame).resolve()] = what
        elif isinstance(source, VideoSource):
            files[source.reader.path.resolve()] = what
    return files


def run(args: argparse.Namespace) -> int:
    report = run_job(args)
    if args.json or "backend" in report:
        print(json.dumps(report))
    else:
        print(
            f"synthfx deflicker: {report['written']} frames written, {report['skipped']} up to "
            f"date, {report['remaps']} remaps, {report['seconds']:.1f} s"
        )
    return 0


def run_job(args: argparse.Namespace) -> dict[str, Any]:
    """Deflickers the shot ``args`` describe; returns the summary ``--json`` prints."""
    cluster = cluster_of(args)
    if cluster is not None and args.backend:
        raise InputError("--cluster and --backend both say where to render: use one")
    if cluster is not None:
        from synthfx.cluster import import_ray

        import_ray()  # without Ray, fail before reading the shot
    frame_range = FrameRange.parse(args.frame_range) if args.frame_range else None
    options = deflicker_options(args)
    render = open_frames(args.frames, frame_range)
    sources: dict[str, FrameSource | None] = {"--frames": render}
    try:
        sources["--guide"] = open_frames(args.guide, render.frame_range)
        sources["--mask"] = open_frames(args.mask, render.frame_range) if args.mask else None
        for source in sources.values():
            if source is not None:
                source.check_shapes()  # headers only: an odd frame fails before any work
        writer = SequenceWriter(args.out, dtype=args.dtype)
        writer.check_paths(render.frame_range, _input_files(sources))
        cache = args.cache if args.cache is not None else writer.directory / ".synthfx"
        guide, mask = sources["--guide"], sources["--mask"]
        assert guide is not None
        if args.backend:
            from synthfx.client.remote import deflicker_remotely

            written = deflicker_remotely(
                args.backend, render, guide, mask, options,
                lambda frame, result: writer.write(frame, as_rgba(result)),
                token_file=args.backend_token_file, tls_ca=args.backend_tls_ca,
            )  # fmt: skip
            return {"out": args.out, "written": written, "backend": args.backend}
        progress = ProgressBar(enabled=not args.quiet and sys.stderr.isatty())
        done = None if args.force else writer.is_done
        retried: list[str] = []
        task_seconds = 0.0
        try:
            with _cluster_frames(args, cluster, render, options, cache) as frames:
                job = Deflicker(
                    render, guide, mask=mask, options=options, cache_dir=cache,
                    progress=progress, frame_runner=None if frames is None else frames.ensure,
                )  # fmt: skip
                assert job.store is not None  # cache_dir given
                writer.attach(job.store, job.final_key)
                if frames is not None:
                    frames.attach(job, done=done)
                summary = job.run(
                    lambda frame, result: writer.write(frame, as_rgba(result)), done=done
                )
                if frames is not None:
                    retried, task_seconds = frames.retried, frames.task_seconds
        finally:
            progress.close()
    finally:
        for source in sources.values():
            if source is not None:
                source.close()
    report: dict[str, Any] = {
        "out": args.out,
        "frames": summary.frames,
        "written": summary.written,
        "skipped": summary.skipped,
        "remaps": summary.remaps,
        "mode": options.mode,
        "window": options.window,
        "seconds": round(summary.seconds, 3),
        "cache": str(cache),
    }
    if cluster is not None:
        report["cluster"] = str(cluster[0])
        report["retried"] = retried
        report["task_seconds"] = round(task_seconds, 3)
    return report


def _cluster_frames(
    args: argparse.Namespace,
    cluster: tuple[ClusterAddress, ClusterOptions] | None,
    render: FrameSource,
    options: DeflickerOptions,
    cache: Path,
) -> contextlib.AbstractContextManager[ClusterFrames | None]:
    """The cluster's frame runner for the job (None without --cluster)."""
    if cluster is None:
        return contextlib.nullcontext(None)
    from synthfx.cluster import shared_path
    from synthfx.cluster.deflicker import DeflickerSpec, deflicker_on_cluster

    spec = DeflickerSpec(
        frames=shared_path(args.frames),
        guide=shared_path(args.guide),
        mask=None if args.mask is None else shared_path(args.mask),
        first=render.frame_range.first,
        last=render.frame_range.last,
        options=options,
        cache_dir=shared_path(cache),
    )
    log = lambda line: print(f"synthfx deflicker: {line}", file=sys.stderr)  # noqa: E731
    return deflicker_on_cluster(*cluster, spec, log=log)
