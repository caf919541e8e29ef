# SPDX-License-Identifier: Apache-2.0
"""``synthfx batch``: many shots (stylize or deflicker jobs) in one submission.

synthfx batch shots.json --cluster ray:10.0.0.5:6379

Up to ``--parallel-shots`` shots run at once, each spreading its passes over the cluster; a
shot that fails reports its one-line error and the others go on. A rerun skips every finished
frame, so a batch stopped anywhere resumes. Exit status: 0 when every shot finished, 1 when
one failed, 2 when the jobs file is invalid (nothing runs).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from synthfx.cli.batch_jobs import COMMANDS, Shot, job_parsers, read_jobs
from synthfx.cli.cluster import add_cluster_options, cluster_of
from synthfx.cluster.options import ClusterOptions
from synthfx.cluster.queue import ClusterError
from synthfx.errors import InputError, SynthfxError
from synthfx.schema import options_of

SHOT_FAILED = 1


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "batch",
        help="run many stylize and deflicker shots from a jobs file",
        description='Run the shots of a jobs file (JSON: {"shots": [{"name": ..., '
        '"stylize": {flag: value}} or "deflicker": {...}]}), each reporting its status; '
        "reruns skip finished frames. Exit status 1 when a shot failed.",
    )
    parser.add_argument("jobs", help="the jobs file (JSON)")
    parser.add_argument(
        "--shot-retries",
        type=int,
        default=1,
        help="times a shot whose cluster tasks were lost too often is run again, resuming "
        "(bad input is never retried) (default: %(default)s)",
    )
    parser.add_argument(
        "--parallel-shots",
        type=int,
        default=1,
        help="shots run at once (with --cluster, enough to keep every worker busy) "
        "(default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    add_cluster_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    shots = read_jobs(args.jobs)
    if args.shot_retries < 0:
        raise InputError(f"--shot-retries must be >= 0, got {args.shot_retries}")
    if args.parallel_shots < 1:
        raise InputError(f"--parallel-shots must be >= 1, got {args.parallel_shots}")
    cluster = cluster_of(args)
    connection: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if cluster is not None:
        from synthfx.cluster.runtime import connected

        connection = connected(*cluster)
    with connection, ThreadPoolExecutor(args.parallel_shots) as pool:
        results = list(pool.map(lambda shot: _run_shot(shot, args), shots))
    failed = [r["name"] for r in results if r["status"] == "failed"]
    summary = {"shots": results, "done": len(results) - len(failed), "failed": len(failed)}
    if args.json:
        print(json.dumps(summary))
    else:
        tail = f", {len(failed)} failed: {', '.join(failed)}" if failed else ""
        print(f"synthfx batch: {summary['done']} of {len(results)} shots done{tail}")
    return SHOT_FAILED if failed else 0


def _shot_args(shot: Shot, batch: Any) -> Any:
    args = job_parsers()[shot.command].parse_args(list(shot.argv[1:]))
    args.json, args.quiet = True, True
    if hasattr(args, "cluster"):
        args.cluster = batch.cluster
        for opt in options_of(ClusterOptions):
            setattr(args, opt.name, getattr(batch, opt.name))
    return args


def _run_shot(shot: Shot, batch: Any) -> dict:
    start = time.perf_counter()
    result: dict[str, Any] = {"name": shot.name, "command": shot.command}
    for attempt in range(batch.shot_retries + 1):
        result["attempts"] = attempt + 1
        try:
            done = COMMANDS[shot.command].run_job(_shot_args(shot, batch))
        except ClusterError as exc:
            result.update(status="failed", error=str(exc))
            if attempt < batch.shot_retries:
                _log(f"{shot.name}: {exc}; running the shot again (it resumes)")
                continue
        except (SynthfxError, OSError) as exc:
            result.update(status="failed", error=str(exc))
        else:
            result.update(status="done", written=done["written"], skipped=done["skipped"])
            if "cluster" in done:
                result.update(cluster=done["cluster"], retried=done["retried"])
            result.pop("error", None)
        break
    result["seconds"] = round(time.perf_counter() - start, 3)
    if result["status"] == "done":
        _log(
            f"{shot.name} done: {result['written']} frames written, {result['skipped']} up to "
            f"date, {result['seconds']:.1f} s"
        )
    else:
        _log(f"{shot.name} failed: {result['error']}")
    return result


def _log(line: str) -> None:
    print(f"synthfx batch: {line}", file=sys.stderr)
