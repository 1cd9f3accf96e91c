"""Calendar overrides: dbt_project/seeds/calendar_overrides.csv.

The `holidays` package knows the statutory holidays and the swaps announced up to its release.
This table sits on top of it (and wins) for what the package cannot know:
- swaps announced after the package release (each year the Ministry of Home Affairs - Bộ Nội vụ,
  which took over labour matters from Bộ LĐTB&XH in 2025 - or the Government Office publishes
  a weekday off and a Saturday worked for Tết, 30/4-1/5 or 2/9): one row per day, both days,
  agency_code empty, source_document = the announcement (e.g. "Công văn 2450/VPCP-KGVX" was
  the 2024 swap of 29/4 with Saturday 4/5, which the package already has);
- local closures of one agency (agency_code = that agency).

Columns (the dbt models read the same file): calendar_date (YYYY-MM-DD), is_working_day
(true/false), agency_code (empty = all agencies), reason, source_document. Never copy rows the
package already has: `tests/workcal/test_overrides.py` fails on a row that changes nothing.

The rows shipped today are worked examples scoped to the placeholder agency code "VIDU"
("ví dụ", no real agency has it), so they have no effect on any KPI.
"""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from workcal.calendar import Override
from motcua.errors import PermanentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OVERRIDES_PATH = PROJECT_ROOT / "dbt_project" / "seeds" / "calendar_overrides.csv"
COLUMNS = ("calendar_date", "is_working_day", "agency_code", "reason", "source_document")
_BOOLEANS = {"true": True, "false": False}


class OverrideFileError(PermanentError, ValueError):
    """The overrides CSV is missing, has other columns, or a row cannot be parsed."""


def parse_bool(text: str) -> bool:
    try:
        return _BOOLEANS[text.strip().lower()]
    except KeyError:
        raise OverrideFileError(f"is_working_day must be true or false, got {text!r}") from None


def load_overrides(path: Path | str | None = None) -> list[Override]:
    """Parse the overrides CSV (default: the dbt seed) into `Override` rows, in file order."""
    path = Path(path) if path is not None else DEFAULT_OVERRIDES_PATH
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise OverrideFileError(f"cannot read calendar overrides {path}: {exc}") from exc
    with handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise OverrideFileError(f"{path}: expected columns {','.join(COLUMNS)}, got {reader.fieldnames}")
        rows = []
        for line_no, row in enumerate(reader, start=2):
            try:
                day = date.fromisoformat(row["calendar_date"].strip())
            except ValueError as exc:
                raise OverrideFileError(f"{path}:{line_no}: bad calendar_date: {exc}") from exc
            try:
                working = parse_bool(row["is_working_day"])
            except OverrideFileError as exc:
                raise OverrideFileError(f"{path}:{line_no}: {exc}") from None
            rows.append(
                Override(
                    calendar_date=day,
                    is_working_day=working,
                    agency_code=row["agency_code"].strip() or None,
                    reason=row["reason"].strip(),
                    source_document=row["source_document"].strip(),
                )
            )
    return rows
