"""The criteria catalogue (kpi_models/eval_criteria.csv) and the known agencies (agencies.csv).

The catalogue is versioned by date: every row of a version carries the version's valid_from, and
the catalogue in force on a date is the whole version with the latest valid_from on or before it
(a criterion dropped from a new version is then unknown from its date on).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from motcua.settings import PROJECT_ROOT
from motcua.errors import PermanentError

KPI_MODELS = PROJECT_ROOT / "kpi_models"
CRITERIA_FILE = "eval_criteria.csv"
AGENCIES_FILE = "agencies.csv"
CRITERIA_COLUMNS = ("criterion_code", "name_vi", "name_en", "max_points", "valid_from", "version")


class CatalogueError(PermanentError):
    """The criteria catalogue or the agency list cannot be used."""


@dataclass(frozen=True)
class Criterion:
    code: str
    name_vi: str
    name_en: str
    max_points: Decimal


@dataclass(frozen=True)
class CatalogueVersion:
    version: str
    valid_from: date
    criteria: tuple[Criterion, ...]

    def get(self, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.code == code), None)


@dataclass(frozen=True)
class Catalogue:
    versions: tuple[CatalogueVersion, ...]   # by valid_from

    def in_force(self, day: date) -> CatalogueVersion | None:
        current = None
        for version in self.versions:
            if version.valid_from <= day:
                current = version
        return current

    @property
    def first_valid_from(self) -> date:
        return self.versions[0].valid_from

    def all_criteria(self) -> list[Criterion]:
        """Every criterion of every version (latest version's wording first), for header matching."""
        seen: dict[str, Criterion] = {}
        for version in reversed(self.versions):
            for c in version.criteria:
                seen.setdefault(c.code, c)
        return list(seen.values())


def _fail(path: Path, line: int, what: str) -> CatalogueError:
    return CatalogueError(f"{path} line {line}: {what}", hint="correct the catalogue (see kpi_models/README.md)")


def load_catalogue(path: Path) -> Catalogue:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != CRITERIA_COLUMNS:
                raise _fail(path, 1, f"columns must be {','.join(CRITERIA_COLUMNS)}")
            rows = list(reader)
    except FileNotFoundError:
        raise CatalogueError(f"criteria catalogue {path} not found", hint="pass --kpi-models DIR") from None
    by_start: dict[date, tuple[str, list[Criterion]]] = {}
    for line, row in enumerate(rows, start=2):
        code = (row["criterion_code"] or "").strip()
        if not code:
            raise _fail(path, line, "empty criterion_code")
        try:
            max_points = Decimal(row["max_points"])
            valid_from = date.fromisoformat(row["valid_from"])
        except (InvalidOperation, ValueError, TypeError):
            raise _fail(path, line, "max_points must be a number and valid_from a date YYYY-MM-DD") from None
        if not 0 < max_points <= 100:
            raise _fail(path, line, f"max_points {row['max_points']} must be above 0 and at most 100")
        version = (row["version"] or "").strip()
        if not version:
            raise _fail(path, line, "empty version")
        known_version, criteria = by_start.setdefault(valid_from, (version, []))
        if known_version != version:
            raise _fail(path, line, f"versions {known_version} and {version} both start on {valid_from}")
        if any(c.code == code for c in criteria):
            raise _fail(path, line, f"criterion {code} twice in version {version}")
        criteria.append(Criterion(code, row["name_vi"].strip(), row["name_en"].strip(), max_points))
    if not by_start:
        raise CatalogueError(f"criteria catalogue {path} has no criteria", hint="add the criteria rows")
    return Catalogue(tuple(CatalogueVersion(v, start, tuple(cs)) for start, (v, cs) in sorted(by_start.items())))


def load_agencies(path: Path) -> frozenset[str]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            codes = frozenset((row.get("agency_code") or "").strip() for row in csv.DictReader(f))
    except FileNotFoundError:
        raise CatalogueError(f"agency list {path} not found", hint="pass --kpi-models DIR") from None
    return codes - {""}
