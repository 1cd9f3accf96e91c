"""Export the `holidays` package's Vietnam calendar as the dbt seed calendar_vn_holidays.csv.

One row per date that differs from the plain Monday-Friday week:
- is_working_day=false: public holidays, observed days off (nghỉ bù) and substituted days off
  of announced swaps (several names on one date are joined with "; ");
- is_working_day=true: make-up Saturdays of those swaps (ngày làm bù), as far as the package
  knows them.
Holidays falling on a weekend are listed too (still false): the dbt models need the name.
Output is sorted by date and byte-for-byte deterministic for a given package version, so the
committed file only changes when the range or the package changes.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import holidays

from workcal.overrides import PROJECT_ROOT
from motcua.errors import PermanentError

DEFAULT_SEED_PATH = PROJECT_ROOT / "dbt_project" / "seeds" / "calendar_vn_holidays.csv"
COLUMNS = ("holiday_date", "holiday_name", "is_working_day", "source")
SOURCE = f"python-holidays {holidays.__version__}"


class ExportError(PermanentError, ValueError):
    """Invalid export range."""


def holiday_rows(from_year: int, to_year: int) -> list[tuple[date, str, bool, str]]:
    if from_year > to_year:
        raise ExportError(f"from_year {from_year} is after to_year {to_year}")
    # Neighbouring years too: a swap can cross the year boundary (2018-12-31 / 2019-01-05).
    vn = holidays.country_holidays("VN", years=range(from_year - 1, to_year + 2), language="vi")

    def in_range(day: date) -> bool:
        return from_year <= day.year <= to_year

    rows = [(d, "; ".join(sorted(vn.get_list(d))), False, SOURCE) for d in vn if in_range(d)]
    for saturday in vn.weekend_workdays:
        if not in_range(saturday):
            continue
        # The package names the day off "Ngày nghỉ (thay cho ngày dd/mm/yyyy)" after this Saturday.
        marker = saturday.strftime("%d/%m/%Y")
        days_off = sorted(d for d in vn if marker in vn[d])
        suffix = f" cho ngày nghỉ {', '.join(d.strftime('%d/%m/%Y') for d in days_off)}" if days_off else ""
        rows.append((saturday, f"Ngày làm việc bù{suffix}", True, SOURCE))
    rows.sort()
    return rows


def render_csv(rows: list[tuple[date, str, bool, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for day, name, working, source in rows:
        writer.writerow((day.isoformat(), name, "true" if working else "false", source))
    return out.getvalue()


def export_seed(from_year: int, to_year: int, path: Path | str | None = None) -> Path:
    """Write the seed (default: dbt_project/seeds/calendar_vn_holidays.csv); returns its path."""
    path = Path(path) if path is not None else DEFAULT_SEED_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_csv(holiday_rows(from_year, to_year)), encoding="utf-8")
    return path
