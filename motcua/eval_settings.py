"""The evaluation method's numbers (kpi_models/eval_settings.csv), versioned by date.

Each key may have several rows; for a period the row with the latest `valid_from` on or before
the period's first day applies. The statement and the evaluation gate read the file directly
(the same file dbt loads as a seed), so a threshold is never written in code or SQL.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from motcua.errors import PermanentError
from motcua.settings import PROJECT_ROOT

SETTINGS_FILE = PROJECT_ROOT / "kpi_models" / "eval_settings.csv"
# Keys the statement and the gate need; the file may hold more.
REQUIRED = ("task_max", "general_max", "band_excellent_min", "band_good_min", "band_pass_min", "quota_ratio")


class EvalSettingsError(PermanentError, ValueError):
    """eval_settings.csv is missing, malformed or lacks a key for a period."""


@dataclass(frozen=True)
class SettingRow:
    key: str
    value: Decimal
    valid_from: date
    version: str


def load_rows(path: Path = SETTINGS_FILE) -> list[SettingRow]:
    if not path.is_file():
        raise EvalSettingsError(f"{path} is missing: it holds the evaluation thresholds (see kpi_models/README.md)")
    rows: list[SettingRow] = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"key", "value", "valid_from", "version"} - set(reader.fieldnames or ())
        if missing:
            raise EvalSettingsError(f"{path}: header lacks {', '.join(sorted(missing))}")
        for line, rec in enumerate(reader, start=2):
            try:
                rows.append(SettingRow(rec["key"].strip(), Decimal(rec["value"].strip()),
                                       date.fromisoformat(rec["valid_from"].strip()), rec["version"].strip()))
            except (InvalidOperation, ValueError, AttributeError) as exc:
                raise EvalSettingsError(f"{path} line {line}: {exc}; expected key,value,valid_from,version") from None
    for key in REQUIRED:
        if not any(r.key == key for r in rows):
            raise EvalSettingsError(f"{path} has no row for {key!r}")
    return rows


def settings_at(day: date, rows: list[SettingRow] | None = None) -> dict[str, Decimal]:
    """Every key's value in force on `day` (the latest valid_from on or before it)."""
    rows = load_rows() if rows is None else rows
    current: dict[str, SettingRow] = {}
    for r in rows:
        if r.valid_from <= day and (r.key not in current or r.valid_from > current[r.key].valid_from):
            current[r.key] = r
    absent = [k for k in REQUIRED if k not in current]
    if absent:
        raise EvalSettingsError(f"eval_settings.csv has no {', '.join(absent)} valid on {day.isoformat()}")
    return {k: r.value for k, r in current.items()}


def band_of(total: Decimal | None, settings: dict[str, Decimal]) -> str:
    """The band a total earns by the thresholds alone (lower bounds inclusive)."""
    if total is None:
        return "pending"
    if total >= settings["band_excellent_min"]:
        return "excellent"
    if total >= settings["band_good_min"]:
        return "good"
    if total >= settings["band_pass_min"]:
        return "pass"
    return "fail"
