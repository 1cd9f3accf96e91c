"""python -m workcal (motcua calendar): bad arguments are one line, exit 2."""
from __future__ import annotations

import pytest

from tests.motcua.usage import assert_one_line_error
from workcal.__main__ import main

BAD = [
    ([], "the following arguments are required: {export-seed}"),
    (["export-seed"], "the following arguments are required: --from-year, --to-year"),
    (["export-seed", "--from-year", "2026"], "the following arguments are required: --to-year"),
    (["export-seed", "--from-year", "abc", "--to-year", "2026"], "argument --from-year: expected an integer"),
    (["export-seed", "--from-year", "", "--to-year", "2026"], "argument --from-year: expected an integer, got ''"),
    (["export-seed", "--from-year", "-5", "--to-year", "2026"], "expected a year between 1900 and 2200, got -5"),
    (["export-seed", "--from-year", "2026", "--to-year", "99999"], "expected a year between 1900 and 2200"),
    (["export-seed", "--from-year", "2030", "--to-year", "2020"], "--from-year 2030 is after --to-year 2020"),
    (["export-seed", "--from-year", "2026", "--to-year", "2026", "--out", ""], "argument --out: must not be empty"),
]


@pytest.mark.parametrize("argv, expected", BAD, ids=[" ".join(a) or "no-args" for a, _ in BAD])
def test_bad_argument_is_one_line_and_exit_2(argv, expected, capsys):
    assert_one_line_error(main, argv, capsys, expected)


def test_an_unwritable_output_is_one_line_and_exit_2(tmp_path, capsys):
    folder = tmp_path / "seed.csv"
    folder.mkdir()  # a folder where the file should go
    line = assert_one_line_error(main, ["export-seed", "--from-year", "2026", "--to-year", "2026", "--out",
                                        str(folder)], capsys, f"cannot write {folder}: Is a directory")
    assert line.endswith("choose a writable file with --out")
