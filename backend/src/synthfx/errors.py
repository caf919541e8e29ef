# SPDX-License-Identifier: Apache-2.0
"""Exceptions of synthfx. Every error a user can cause is one of these, with a message that
names the offending value (file, frame, parameter)."""

from __future__ import annotations


class SynthfxError(Exception):
    """Base class of all synthfx errors."""


class InputError(SynthfxError, ValueError):
    """Bad input: a missing or unreadable file, a wrong size, an invalid parameter."""


class EngineError(SynthfxError, ValueError):
    """The native engine rejected its input; ``code`` is the engine's error code name."""

    def __init__(self, message: str, code: str = "invalid_argument") -> None:
        super().__init__(message)
        self.code = code


class DeviceUnavailableError(SynthfxError, RuntimeError):
    """A requested compute backend (e.g. CUDA) is not available on this machine."""


class DiskFullError(SynthfxError, OSError):
    """A write found no space left on its disk; the message names the directory."""


class CancelledError(SynthfxError):
    """A job was cancelled (a cancel event was set) before it finished; nothing partial is kept."""
