# SPDX-License-Identifier: Apache-2.0
"""The jobs file of ``synthfx batch``: many shots, each a stylize or deflicker job, checked
strictly before any work. Every error names the file and the field.

    {"shots": [
      {"name": "sh010", "stylize": {"frames": "sh010/f.####.exr", "range": "1001-1100",
                                    "key": ["1001=k1001.exr"], "out": "out/sh010/s.####.exr"}},
      {"name": "sh020", "deflicker": {"frames": "r.####.exr", "guide": "p.####.exr",
                                      "out": "out/sh020/d.####.exr", "window": 4}}
    ]}

A job's fields are its subcommand's flags without the dashes (``patch-size``); a flag given
more than once (``key``) takes a list; an on/off flag takes true or false. Paths are relative
to the current directory, as on the command line. Where and how to run (``cluster``,
``backend``, ``json``, ``quiet``) is the batch's, not a shot's.
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthfx.cli import deflicker, stylize
from synthfx.cli.engine_options import flag
from synthfx.cluster.options import ClusterOptions
from synthfx.errors import InputError
from synthfx.schema import options_of

COMMANDS = {"stylize": stylize, "deflicker": deflicker}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
# The batch decides these for every shot.
_BATCH_FIELDS = frozenset(
    {"help", "cluster", "backend", "backend-token-file", "backend-tls-ca", "json", "quiet"}
    | {flag(opt).removeprefix("--") for opt in options_of(ClusterOptions)}
)


@dataclass(frozen=True)
class Shot:
    """One shot of the batch: its name, subcommand and that subcommand's arguments."""

    name: str
    command: str
    argv: tuple[str, ...]


class _Refusing(argparse.ArgumentParser):
    """A parser whose errors raise (the batch reports them) instead of exiting."""

    def error(self, message: str) -> Any:
        raise InputError(message)


def job_parsers() -> dict[str, argparse.ArgumentParser]:
    """The subcommands' own parsers, raising InputError on bad arguments."""
    root = _Refusing(prog="synthfx", add_help=False)
    commands = root.add_subparsers(dest="command", parser_class=_Refusing)
    for module in COMMANDS.values():
        module.add_parser(commands)
    return dict(commands.choices)


def _fields(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    fields = {}
    for action in parser._actions:
        long = [s for s in action.option_strings if s.startswith("--")]
        if long and long[0][2:] not in _BATCH_FIELDS:
            fields[long[0][2:]] = action
    return fields


def _arguments(where: str, name: str, value: object, action: argparse.Action) -> list[str]:
    """The command-line arguments of one field; InputError naming it when the value's type is
    wrong for the flag."""
    option = f"--{name}"
    if isinstance(action, argparse.BooleanOptionalAction):
        if not isinstance(value, bool):
            raise InputError(f"{where}.{name}: expected true or false, got {value!r}")
        return [option if value else f"--no-{name}"]
    if action.nargs == 0:  # store_true
        if not isinstance(value, bool):
            raise InputError(f"{where}.{name}: expected true or false, got {value!r}")
        return [option] if value else []
    if isinstance(action, argparse._AppendAction):
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise InputError(f"{where}.{name}: expected a list of texts, got {value!r}")
        return [arg for item in value for arg in (option, item)]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{where}.{name}: expected a text or a number, got {value!r}")
    return [option, str(value)]


def _shot(path: Path, index: int, entry: object, parsers: dict[str, Any]) -> Shot:
    where = f"{path}: shots[{index}]"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected an object with name and stylize or deflicker")
    unknown = sorted(set(entry) - {"name", *COMMANDS})
    if unknown:
        allowed = "name, stylize, deflicker"
        raise InputError(f"{where}: unknown field {unknown[0]!r} (fields: {allowed})")
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InputError(
            f"{where}.name: expected a shot name (letters, digits, . _ -), got {name!r}"
        )
    commands = [c for c in COMMANDS if c in entry]
    if len(commands) != 1:
        raise InputError(f"{where} ({name}): give exactly one of stylize, deflicker")
    (command,) = commands
    job = entry[command]
    where = f"{where}.{command}"
    if not isinstance(job, dict):
        raise InputError(f"{where}: expected an object of {command}'s flags")
    fields = _fields(parsers[command])
    argv = [command]
    for field, value in job.items():
        if field in _BATCH_FIELDS:
            raise InputError(f"{where}.{field}: set for the whole batch (synthfx batch --{field})")
        if field not in fields:
            raise InputError(
                f"{where}: unknown field {field!r} (a {command} flag without its dashes, "
                "e.g. patch-size)"
            )
        argv += _arguments(where, field, value, fields[field])
    try:
        parsers[command].parse_args(argv[1:])
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None
    return Shot(name, command, tuple(argv))


def read_jobs(path: str | Path) -> list[Shot]:
    """The shots of a jobs file, every field checked.

    Raises:
        InputError: unreadable or invalid JSON, or a field that is missing, unknown or of the
            wrong type; the message names the file and the field (``shots[2].stylize.key``).
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read the jobs file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or set(data) != {"shots"}:
        raise InputError(f'{path}: expected an object with one field, "shots" (a list of shots)')
    entries = data["shots"]
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: shots: expected a non-empty list of shots")
    parsers = job_parsers()
    shots = [_shot(path, index, entry, parsers) for index, entry in enumerate(entries)]
    names = [shot.name for shot in shots]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"{path}: shot name {twice[0]!r} is used twice")
    return shots
