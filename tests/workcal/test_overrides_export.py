"""The overrides seed, the exported holiday seed and the CLI that writes it."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import date
from pathlib import Path

import holidays
import pytest

from workcal import OverrideFileError, WorkCalendar, load_overrides
from workcal.export import DEFAULT_SEED_PATH, render_csv, holiday_rows
from workcal.overrides import DEFAULT_OVERRIDES_PATH

ROOT = Path(__file__).resolve().parents[2]


def test_overrides_seed_parses_and_adds_something() -> None:
    rows = load_overrides()
    assert rows, "the seed ships worked examples"
    package = WorkCalendar()
    for row in rows:
        assert row.reason and row.source_document
        # "Do not duplicate the package": every row must change the answer for its scope.
        scoped = package.for_agency(row.agency_code)
        assert scoped.is_working_day(row.calendar_date) != row.is_working_day, row
    # Worked examples are inert: no row applies to all agencies.
    assert all(row.agency_code == "VIDU" for row in rows)


def test_overrides_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "o.csv"
    bad.write_text("calendar_date,is_working_day,agency_code,reason,source_document\n2026-03-10,maybe,,x,y\n")
    with pytest.raises(OverrideFileError, match="is_working_day"):
        load_overrides(bad)
    bad.write_text("date,working\n2026-03-10,true\n")
    with pytest.raises(OverrideFileError, match="columns"):
        load_overrides(bad)
    with pytest.raises(OverrideFileError):
        load_overrides(tmp_path / "missing.csv")
    good = tmp_path / "g.csv"
    good.write_text(DEFAULT_OVERRIDES_PATH.read_text(encoding="utf-8").splitlines()[0]
                    + "\n2026-03-10,false,,Hypothetical closure,Doc 1\n", encoding="utf-8")
    (row,) = load_overrides(good)
    assert row.calendar_date == date(2026, 3, 10) and row.is_working_day is False and row.agency_code is None
    assert not WorkCalendar([row]).is_working_day(date(2026, 3, 10))


def test_export_rows_for_2024_2026() -> None:
    text = render_csv(holiday_rows(2024, 2026))
    lines = text.splitlines()
    assert lines[0] == "holiday_date,holiday_name,is_working_day,source"
    source = f"python-holidays {holidays.__version__}"
    parsed = list(csv.DictReader(text.splitlines()))
    by_date = {r["holiday_date"]: r for r in parsed}
    assert [r["holiday_date"] for r in parsed] == sorted(r["holiday_date"] for r in parsed)
    # Make-up Saturdays of the three swaps in those years, as working days.
    working = sorted(r["holiday_date"] for r in parsed if r["is_working_day"] == "true")
    assert working == ["2024-05-04", "2025-04-26", "2026-08-22"]
    assert "02/05/2025" in by_date["2025-04-26"]["holiday_name"]
    # The substituted days off and Tết 2026 (Mon 16 .. Fri 20 Feb) as days off.
    for d in ("2024-04-29", "2025-05-02", "2026-08-31", "2026-02-16", "2026-02-20", "2026-09-01"):
        assert by_date[d]["is_working_day"] == "false", d
    assert by_date["2026-02-17"]["holiday_name"] == "Tết Nguyên Đán"
    assert all(r["source"] == source for r in parsed)
    assert all(r["holiday_date"][:4] in {"2024", "2025", "2026"} for r in parsed)


def test_committed_seed_is_fresh_and_cli_is_deterministic(tmp_path: Path) -> None:
    out = tmp_path / "h.csv"
    cmd = [sys.executable, "-m", "workcal", "export-seed", "--from-year", "2020", "--to-year", "2030", "--out", str(out)]
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    first = out.read_bytes()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    assert out.read_bytes() == first
    # The committed seed must be regenerated when the holidays package changes.
    assert DEFAULT_SEED_PATH.read_bytes() == first, "run: python -m workcal export-seed --from-year 2020 --to-year 2030"
