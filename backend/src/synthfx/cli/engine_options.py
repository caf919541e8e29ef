# SPDX-License-Identifier: Apache-2.0
"""Engine options shared by every subcommand that runs a synthesis."""

from __future__ import annotations

import argparse

from synthfx.engine import SynthesisParams

_DEFAULTS = SynthesisParams()


def add_engine_options(
    parser: argparse.ArgumentParser, defaults: SynthesisParams = _DEFAULTS
) -> None:
    """Adds every engine parameter as an option, with ``defaults`` as the default values."""
    group = parser.add_argument_group("engine options (Ebsynth's meaning)")
    group.add_argument("--style-weight", type=float, default=defaults.style_weight)
    group.add_argument("--uniformity", type=float, default=defaults.uniformity)
    group.add_argument("--patch-size", type=int, default=defaults.patch_size)
    group.add_argument(
        "--pyramid-levels", type=int, default=defaults.pyramid_levels, help="-1: as many as fit"
    )
    group.add_argument("--search-vote-iters", type=int, default=defaults.search_vote_iters)
    group.add_argument("--patchmatch-iters", type=int, default=defaults.patchmatch_iters)
    group.add_argument("--stop-threshold", type=float, default=defaults.stop_threshold)
    group.add_argument(
        "--extra-pass-3x3",
        action=argparse.BooleanOptionalAction,
        default=defaults.extra_pass_3x3,
        help="finish with a 3x3-patch search-vote pass",
    )
    group.add_argument("--vote-mode", choices=["plain", "weighted"], default=defaults.vote_mode)
    group.add_argument("--seed", type=int, default=defaults.seed)
    group.add_argument("--threads", type=int, default=defaults.threads, help="0: all cores")
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
