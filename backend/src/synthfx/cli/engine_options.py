# SPDX-License-Identifier: Apache-2.0
"""Engine options shared by every subcommand that runs a synthesis."""

from __future__ import annotations

import argparse

from synthfx.engine import SynthesisParams

_DEFAULTS = SynthesisParams()


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("engine options (Ebsynth's meaning and defaults)")
    group.add_argument("--style-weight", type=float, default=_DEFAULTS.style_weight)
    group.add_argument("--uniformity", type=float, default=_DEFAULTS.uniformity)
    group.add_argument("--patch-size", type=int, default=_DEFAULTS.patch_size)
    group.add_argument(
        "--pyramid-levels", type=int, default=_DEFAULTS.pyramid_levels, help="-1: as many as fit"
    )
    group.add_argument("--search-vote-iters", type=int, default=_DEFAULTS.search_vote_iters)
    group.add_argument("--patchmatch-iters", type=int, default=_DEFAULTS.patchmatch_iters)
    group.add_argument("--stop-threshold", type=float, default=_DEFAULTS.stop_threshold)
    group.add_argument("--extra-pass-3x3", action="store_true")
    group.add_argument("--vote-mode", choices=["plain", "weighted"], default=_DEFAULTS.vote_mode)
    group.add_argument("--seed", type=int, default=_DEFAULTS.seed)
    group.add_argument("--threads", type=int, default=_DEFAULTS.threads, help="0: all cores")
    group.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default="auto",
        help="engine backend: auto picks CUDA only once it is verified on this machine",
    )


def engine_params(args: argparse.Namespace) -> SynthesisParams:
    return SynthesisParams(
        style_weight=args.style_weight,
        uniformity=args.uniformity,
        patch_size=args.patch_size,
        pyramid_levels=args.pyramid_levels,
        search_vote_iters=args.search_vote_iters,
        patchmatch_iters=args.patchmatch_iters,
        stop_threshold=args.stop_threshold,
        extra_pass_3x3=args.extra_pass_3x3,
        vote_mode=args.vote_mode,
        seed=args.seed,
        threads=args.threads,
        backend=args.device,
    )
