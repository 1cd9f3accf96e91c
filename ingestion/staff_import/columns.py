"""The sheet's columns: which header names which field.

A header is matched after Unicode NFC normalisation, whitespace collapsing and case folding, so
"Mã cán bộ", "MÃ CÁN BỘ" and "officer_id" are the same column. A criterion column is named
"<Vietnamese name> (<code>)" in the template; the code in brackets decides. A bare code or a bare
Vietnamese (or English) name of a catalogue criterion is accepted too.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from ingestion.staff_import.catalogue import Catalogue


@dataclass(frozen=True)
class Field:
    code: str
    label_vi: str
    required: bool = True


FIELDS: tuple[Field, ...] = (
    Field("agency_code", "Mã cơ quan"),
    Field("officer_id", "Mã cán bộ"),
    Field("period", "Kỳ đánh giá"),
    Field("assessor_id", "Mã người đánh giá"),
    Field("assessor_role", "Vai trò người đánh giá"),
    Field("comment", "Nhận xét", required=False),
)
FIELD_BY_CODE = {f.code: f for f in FIELDS}

# assessor_role: the contract's codes, and the labels a Vietnamese sheet uses
ROLE_LABELS: dict[str, str] = {
    "manager": "Lãnh đạo trực tiếp",
    "peer": "Đồng nghiệp",
    "self": "Tự đánh giá",
}

BRACKETED = re.compile(r"^(?P<label>.*?)\s*[(\[]\s*(?P<code>[A-Za-z0-9_.-]+)\s*[)\]]$")


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def role_code(text: str) -> str | None:
    """manager | peer | self for a code or a Vietnamese label (any case); None otherwise."""
    key = normalise(text)
    for code, label in ROLE_LABELS.items():
        if key in (code, normalise(label)):
            return code
    return None


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet user finds the column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


@dataclass
class Layout:
    """Column index of each field and of each criterion (by code), and the header's problems."""

    fields: dict[str, int] = field(default_factory=dict)
    criteria: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    unnamed: list[int] = field(default_factory=list)   # blank headers: their cells must be blank


def read_header(cells: list[str], catalogue: Catalogue) -> Layout:
    criteria_names: dict[str, str] = {}
    for c in catalogue.all_criteria():
        for name in (c.code, c.name_vi, c.name_en):
            criteria_names.setdefault(normalise(name), c.code)
    field_names = {normalise(n): f.code for f in FIELDS for n in (f.code, f.label_vi)}
    layout = Layout()
    owner: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(cells):
        text = normalise(raw)
        if not text:
            layout.unnamed.append(index)
            continue
        kind, code = _classify(text, field_names, criteria_names)
        if kind is None:
            layout.problems.append(
                f"unknown column {raw.strip()!r} in column {column_letter(index)} (expected the template's "
                f"headers: {', '.join(f.label_vi for f in FIELDS)} and one column per criterion, "
                "e.g. 'Khả năng phối hợp công việc (coordination)')")
            continue
        key = (kind, code)
        if key in owner:
            layout.problems.append(f"columns {column_letter(owner[key])} and {column_letter(index)} are both {code}")
            continue
        owner[key] = index
        (layout.fields if kind == "field" else layout.criteria)[code] = index
    for f in FIELDS:
        if f.required and f.code not in layout.fields:
            layout.problems.append(f"missing column {f.label_vi!r} ({f.code})")
    return layout


def _classify(text: str, field_names: dict[str, str], criteria_names: dict[str, str]) -> tuple[str | None, str]:
    match = BRACKETED.match(text)
    if match:
        code = match["code"]
        if code in FIELD_BY_CODE:
            return "field", code
        # a bracketed code is a criterion column even when the catalogue does not know it: the
        # rows that fill it are then reported with "unknown criterion"
        return "criterion", criteria_names.get(code, code)
    if text in field_names:
        return "field", field_names[text]
    if text in criteria_names:
        return "criterion", criteria_names[text]
    return None, ""
