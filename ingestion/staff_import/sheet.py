"""Read a .csv or .xlsx file into numbered rows of cells (the row numbers a spreadsheet shows).

CSV: UTF-8 (with or without the byte-order mark Excel writes for "CSV UTF-8"), comma or semicolon
separated (a Vietnamese-locale Excel writes ';'). XLSX: the worksheet named "Đánh giá" (the
template's), else the first one, cell values as
saved (a formula's last computed value). Also the time the file was last saved, which becomes
the events' occurred_at: the workbook's own "modified" property for .xlsx (it travels with the
file), the file's modification time for .csv.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from motcua.errors import PermanentError

Cell = str | int | float | datetime | bool | None
FORMATS = ("csv", "xlsx")
SHEET_TITLE = "Đánh giá"   # the template's assessment sheet


class SheetError(PermanentError):
    """The file cannot be read as an assessment sheet."""


@dataclass
class Sheet:
    rows: list[tuple[int, list[Cell]]]   # (row number, cells), blank rows left out
    saved_at: datetime | None            # aware; None when the file does not say


def file_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise SheetError(f"{path}: unsupported file type {path.suffix or '(none)'!r}",
                         hint="save the sheet as .xlsx or as CSV UTF-8 (.csv)")
    return suffix


def read_sheet(path: Path) -> Sheet:
    kind = file_format(path)
    if not path.is_file():
        raise SheetError(f"{path}: no such file", hint="check the path")
    sheet = _read_xlsx(path) if kind == "xlsx" else _read_csv(path)
    if sheet.saved_at is None:
        sheet.saved_at = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    return sheet


def _blank(cells: list[Cell]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _read_csv(path: Path) -> Sheet:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError(f"{path}: not UTF-8 text", hint="in Excel, save it as 'CSV UTF-8 (Comma delimited)'") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            if not _blank(list(cells)):
                rows.append((number, list(cells)))
    except csv.Error as exc:
        raise SheetError(f"{path}: not a readable CSV file ({exc})", hint="save it again as CSV UTF-8") from None
    return Sheet(rows, None)


def _read_xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SheetError(f"{path}: not a readable .xlsx workbook ({type(exc).__name__})",
                         hint="open it in Excel and save it again as .xlsx") from None
    try:
        modified = workbook.properties.modified   # UTC, naive (the OOXML core property)
        worksheet = workbook[SHEET_TITLE] if SHEET_TITLE in workbook.sheetnames else workbook.worksheets[0]
        rows = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            cells = list(values)
            if not _blank(cells):
                rows.append((number, cells))
    finally:
        workbook.close()
    saved_at = modified.replace(tzinfo=timezone.utc) if isinstance(modified, datetime) else None
    return Sheet(rows, saved_at)
