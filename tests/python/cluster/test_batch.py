# SPDX-License-Identifier: Apache-2.0
"""``synthfx batch``: three shots on a local Ray, one with a bad input; the jobs file's strict
checks, each naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cluster_testing import FIRST, KEYS, LAST, finish, read_outputs, start_synthfx
from synthfx.cli import main
from synthfx.cli.batch_jobs import read_jobs
from synthfx.errors import InputError

FAST = {"search-vote-iters": 3, "patchmatch-iters": 2}


def stylize_job(shot: Path, out: Path, **extra: object) -> dict:
    return {
        "frames": str(shot / "f.####.exr"),
        "range": f"{FIRST}-{LAST}",
        "key": [f"{key}={shot / f'k.{key}.exr'}" for key in KEYS],
        "out": str(out / "s.####.exr"),
        "dtype": "float",
        **extra,
    }


def deflicker_job(shot: Path, out: Path) -> dict:
    return {
        "frames": str(shot / "f.####.exr"),
        "guide": str(shot / "f.####.exr"),
        "out": str(out / "d.####.exr"),
        "window": 1,
        **FAST,
    }


def write_jobs(path: Path, shots: list[dict]) -> Path:
    path.write_text(json.dumps({"shots": shots}))
    return path


def test_a_bad_shot_fails_alone(shot: Path, tmp_path: Path, local_render, capsys) -> None:
    missing = shot / "k.missing.exr"
    bad = stylize_job(shot, tmp_path / "sh020", key=[f"{FIRST}={missing}"])
    jobs = write_jobs(
        tmp_path / "jobs.json",
        [
            {"name": "sh010", "stylize": stylize_job(shot, tmp_path / "sh010")},
            {"name": "sh020", "stylize": bad},
            {"name": "sh030", "deflicker": deflicker_job(shot, tmp_path / "sh030")},
        ],
    )
    args = ["batch", str(jobs), "--json", "--cluster", "ray:auto", "--workers", "2"]
    args += ["--parallel-shots", "3"]
    code, summary, err = finish(start_synthfx(args))
    assert code == 1, err
    status = {s["name"]: s["status"] for s in summary["shots"]}
    assert status == {"sh010": "done", "sh020": "failed", "sh030": "done"}
    assert (summary["done"], summary["failed"]) == (2, 1)
    assert summary["shots"][0]["cluster"] == "ray:auto"  # deflicker runs on the driver
    # The bad shot's error is the one line synthfx stylize itself gives for that input.
    alone = ["stylize", *_argv(bad), "--quiet"]
    assert main(alone) == 2
    expected = capsys.readouterr().err.removeprefix("synthfx stylize: error: ").strip()
    assert summary["shots"][1]["error"] == expected and "k.missing.exr" in expected
    assert f"synthfx batch: sh020 failed: {expected}\n" in err
    assert read_outputs(tmp_path / "sh010").keys() == local_render.keys()
    for frame, pixels in read_outputs(tmp_path / "sh010").items():
        assert pixels.tobytes() == local_render[frame].tobytes()
    assert len(list((tmp_path / "sh030").glob("d.*.exr"))) == LAST - FIRST + 1

    # Resumable: run again (here without a cluster), the finished shots write nothing.
    assert main(["batch", str(jobs), "--json"]) == 1
    again = json.loads(capsys.readouterr().out)
    finished = [s for s in again["shots"] if s["status"] == "done"]
    assert [(s["name"], s["written"], s["skipped"]) for s in finished] == [
        ("sh010", 0, 10),
        ("sh030", 0, 10),
    ]


def _argv(job: dict) -> list[str]:
    argv = []
    for name, value in job.items():
        for item in value if isinstance(value, list) else [value]:
            argv += [f"--{name}", str(item)]
    return argv


@pytest.mark.parametrize(
    ("shots", "problem"),
    [
        ([], "shots: expected a non-empty list of shots"),
        ([{"name": "a"}], "shots[0] (a): give exactly one of stylize, deflicker"),
        ([{"name": "a b", "stylize": {}}], "shots[0].name: expected a shot name"),
        ([{"name": "a", "stylize": {}, "when": 1}], "shots[0]: unknown field 'when'"),
        (
            [{"name": "a", "stylize": {"patchsize": 5}}],
            "shots[0].stylize: unknown field 'patchsize' (a stylize flag without its dashes",
        ),
        (
            [{"name": "a", "stylize": {"key": "1=k.exr"}}],
            "shots[0].stylize.key: expected a list of texts, got '1=k.exr'",
        ),
        (
            [{"name": "a", "stylize": {"force": "yes"}}],
            "shots[0].stylize.force: expected true or false, got 'yes'",
        ),
        (
            [{"name": "a", "stylize": {"patch-size": [5]}}],
            "shots[0].stylize.patch-size: expected a text or a number, got [5]",
        ),
        (
            [{"name": "a", "stylize": {"frames": "f.####.exr", "patch-size": "big"}}],
            "shots[0].stylize: argument --patch-size: invalid int value: 'big'",
        ),
        (
            [{"name": "a", "deflicker": {"frames": "f.####.exr", "out": "o.####.exr"}}],
            "shots[0].deflicker: the following arguments are required: --guide",
        ),
        (
            [{"name": "a", "stylize": {"cluster": "ray:auto"}}],
            "shots[0].stylize.cluster: set for the whole batch (synthfx batch --cluster)",
        ),
    ],
)
def test_exception_jobs_file(tmp_path: Path, shots: list, problem: str) -> None:
    jobs = write_jobs(tmp_path / "jobs.json", shots)
    with pytest.raises(InputError) as error:
        read_jobs(jobs)
    assert str(error.value).startswith(f"{jobs}: {problem}")


def test_exception_duplicate_names_and_bad_json(tmp_path: Path, capsys) -> None:
    job = {"frames": "f.####.exr", "out": "o.####.exr", "key": ["1=k.exr"]}
    jobs = write_jobs(tmp_path / "jobs.json", [{"name": "a", "stylize": job}] * 2)
    assert main(["batch", str(jobs)]) == 2
    assert capsys.readouterr().err == f"synthfx batch: error: {jobs}: shot name 'a' is used twice\n"
    jobs.write_text('{"shots": [')
    assert main(["batch", str(jobs)]) == 2
    assert capsys.readouterr().err.startswith(f"synthfx batch: error: {jobs} is not valid JSON: ")
