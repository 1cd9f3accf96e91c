"""The one console script: dispatch, help and the exit code of an unknown subcommand."""
from __future__ import annotations

import subprocess
import sys

import pytest

from motcua.cli import SUBCOMMANDS, main


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", *args], capture_output=True, text=True, timeout=120)


def test_help_lists_every_subcommand():
    result = run("--help")
    assert result.returncode == 0
    for name in ("ingest", "generate", "calendar", "gate", "publish"):
        assert f"  {name} " in result.stdout


def test_unknown_subcommand_is_one_line_and_exit_2():
    result = run("nope")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "unknown subcommand 'nope'" in result.stderr


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_each_subcommand_resolves_to_its_module(name):
    # --help of the owning module exits 0 through argparse's SystemExit
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0


def test_calendar_dispatches_to_the_workcal_command(tmp_path):
    out = tmp_path / "seed.csv"
    result = run("calendar", "export-seed", "--from-year", "2026", "--to-year", "2026", "--out", str(out))
    assert result.returncode == 0, result.stderr
    # 2026 in Vietnam: Tết 16–20 Feb is in the file as days off
    assert "2026-02-17" in out.read_text()


@pytest.mark.parametrize("argv, expected", [
    (["ingest", "--topic", "", "consume"], "motcua-ingest: argument --topic: must not be empty"),
    (["ingest", "topic", "--partitions", "-1"], "motcua-ingest topic: argument --partitions: must be at least 1"),
    (["generate", "--days", "0"], "python -m ingestion.generator: argument --days: must be at least 1"),
    (["calendar", "export-seed", "--from-year", "x", "--to-year", "2026"], "argument --from-year: expected an integer"),
    (["gate", "gate", "--layer", "raw", "--date", "18/03/2026"], "argument --date: expected a date YYYY-MM-DD"),
    (["publish", "run", "--date", "2026-3-2x"], "argument --date: expected a date YYYY-MM-DD"),
    (["publish", "show", "--limit", "-1"], "argument --limit: must be at least 1"),
])
def test_a_bad_argument_through_motcua_is_one_line_exit_2_and_no_traceback(argv, expected):
    result = run(*argv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert expected in line
    assert line.endswith("--help')")
