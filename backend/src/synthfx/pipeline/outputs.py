# SPDX-License-Identifier: Apache-2.0
"""Writing a job's frames to a sequence, and knowing which are already written.

A frame counts as done when its file exists and a record in the job's store says that this
file, with these exact bytes, was written for the frame's current content key; any change of
input or option, or an edited or truncated file, makes it due again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from synthfx.errors import InputError
from synthfx.interrupts import interrupts_held
from synthfx.io.digest import file_digest
from synthfx.io.images import check_output, file_format, write_image
from synthfx.io.sequences import FrameRange, FrameSequence
from synthfx.pipeline.store import ResultStore, chain_key
from synthfx.pipeline.stylizer import RenderResult

OUTPUT_KIND = "output"
# Error maps keep the engine's units (0-255^2 per channel): only float holds them.
ERROR_DTYPE = "float"


class SequenceWriter:
    """Writes RGBA frames (and optionally error maps) to numbered files.

    Args:
        pattern: output pattern with a frame placeholder (``out/f.####.exr``).
        dtype: storage type ("half", "float", ...); None: the format's default.
        error_pattern: optional pattern for the per-pixel synthesis error (float).
    """

    def __init__(
        self,
        pattern: str | os.PathLike[str],
        *,
        dtype: str | None = None,
        error_pattern: str | os.PathLike[str] | None = None,
    ) -> None:
        self.sequence = FrameSequence(pattern)
        self.dtype = dtype
        self.format = file_format(self.sequence.pattern)
        if dtype is not None and dtype not in self.format.dtypes:
            raise InputError(
                f"{self.sequence.pattern}: {self.format.name} stores "
                f"{', '.join(self.format.dtypes)}, not {dtype!r}"
            )
        self.errors = None if error_pattern is None else FrameSequence(error_pattern)
        if self.errors is not None:
            error_format = file_format(self.errors.pattern)
            if ERROR_DTYPE not in error_format.dtypes:
                raise InputError(
                    f"--error-out {self.errors.pattern}: error maps need float, which "
                    f"{error_format.name} does not store (use .exr or .tif)"
                )
        self.directory = self.sequence.path(0).parent
        self._store: ResultStore | None = None
        self._final_key: Callable[[int], str] | None = None

    def check_range(self, frame_range: FrameRange) -> None:
        """Raises InputError when a pattern cannot name every frame of ``frame_range``."""
        for sequence, what in ((self.sequence, "--out"), (self.errors, "--error-out")):
            if sequence is not None and sequence.is_still and len(frame_range) > 1:
                raise InputError(
                    f"{what} {sequence.pattern!r} has no frame placeholder (#### or %04d) "
                    f"but the shot has {len(frame_range)} frames ({frame_range})"
                )

    def check_paths(self, frame_range: FrameRange, inputs: Mapping[Path, str]) -> None:
        """Checks, before any work, that every frame of ``frame_range`` can be written.

        Args:
            frame_range: The frames to write.
            inputs: Resolved path -> what it is (``"--frames"``, ``"--key 1001"``) of every
                input file; an output that would overwrite one is refused.

        Raises:
            InputError: A pattern without placeholder for several frames, an output directory
                that cannot be created or written, --error-out naming the --out files, or an
                output file that is an input file (names both).
        """
        self.check_range(frame_range)
        check_output(self.sequence.path(frame_range.first), dtype=self.dtype)
        if self.errors is not None:
            check_output(self.errors.path(frame_range.first), dtype=ERROR_DTYPE)
        for frame in frame_range:
            out = self.sequence.path(frame).resolve()
            _check_not_input("--out", out, inputs)
            if self.errors is None:
                continue
            error = self.errors.path(frame).resolve()
            if error == out:
                raise InputError(
                    f"--error-out {self.errors.pattern} names the same files as --out "
                    f"{self.sequence.pattern} ({out})"
                )
            _check_not_input("--error-out", error, inputs)

    def attach(self, store: ResultStore, final_key: Callable[[int], str]) -> None:
        """Where done-records live and how a frame's content key is found."""
        self._store, self._final_key = store, final_key

    def _record_key(self, frame: int) -> str:
        assert self._final_key is not None
        error_path = "" if self.errors is None else str(self.errors.path(frame).resolve())
        return chain_key(
            str(self.sequence.path(frame).resolve()),
            error_path,
            str(self.dtype),
            self._final_key(frame),
        )

    def is_done(self, frame: int) -> bool:
        """True when the frame's files hold what the current job would write."""
        assert self._store is not None
        paths = self._paths(frame)
        if not all(path.is_file() for path in paths):
            return False
        record = self._store.get_record(OUTPUT_KIND, self._record_key(frame))
        if record is None:
            return False
        return record.get("blake3") == [file_digest(path) for path in paths]

    def _paths(self, frame: int) -> list[Path]:
        paths = [self.sequence.path(frame)]
        if self.errors is not None:
            paths.append(self.errors.path(frame))
        return paths

    def write(self, frame: int, result: RenderResult) -> None:
        """Writes the frame's files and their record; Ctrl-C waits until all are written."""
        with interrupts_held():
            self._write(frame, result)

    def _write(self, frame: int, result: RenderResult) -> None:
        image = result.image
        names: tuple[str, ...] = ("R", "G", "B", "A")
        counts = self.format.channel_counts
        if counts is not None and 4 not in counts:
            image, names = image[..., :3], names[:3]
        write_image(self.sequence.path(frame), image, dtype=self.dtype, channel_names=names)
        if self.errors is not None:
            write_image(
                self.errors.path(frame), result.error, dtype=ERROR_DTYPE, channel_names=("Y",)
            )
        if self._store is not None:
            digests = [file_digest(path) for path in self._paths(frame)]
            self._store.put_record(OUTPUT_KIND, self._record_key(frame), {"blake3": digests})


def _check_not_input(option: str, path: Path, inputs: Mapping[Path, str]) -> None:
    # Writing over the shot would destroy it, and the rerun would stylize the stylized frames.
    if path in inputs:
        raise InputError(
            f"{option} would overwrite the {inputs[path]} file {path}; write the output elsewhere"
        )
