"""Hand-written assessment sheets and the events they must become (independent of the importer)."""
from __future__ import annotations

import csv
import json
import uuid
from pathlib import Path

from openpyxl import Workbook

# The importer's documented id recipe: uuid5(this namespace, the event without event_id as JSON
# with sorted keys, compact separators, UTF-8 text).
NAMESPACE = uuid.UUID("6f1c9a52-8e0b-5d3a-9c47-2b7e4d10a8f3")
RECORDED_AT = "2026-04-03T10:00:00+07:00"

HEADER_VI = ["Mã cơ quan", "Mã cán bộ", "Kỳ đánh giá", "Mã người đánh giá", "Vai trò người đánh giá",
             "Mức độ tuân thủ quy trình, quy định (compliance)", "Khả năng phối hợp công việc (coordination)",
             "Tinh thần chủ động, trách nhiệm và thái độ phục vụ (service_attitude)", "Nhận xét"]
HEADER_EN = ["agency_code", "officer_id", "period", "assessor_id", "assessor_role",
             "compliance", "coordination", "service_attitude", "comment"]

# three good rows: a monthly manager assessment with a comment, a quarterly one with a decimal
# comma and "9.0", a yearly self assessment whose assessor cell is left empty
GOOD_ROWS = [
    ["SKHDT", "CB0042", "2026-03", "CB0001", "Lãnh đạo trực tiếp", "9", "8", "10", "Hoàn thành tốt, đúng hạn"],
    ["SKHDT", "CB0043", "2026-Q1", "CB0001", "manager", "8,5", "10", "9.0", ""],
    ["STP", "CB0050", "2026", "", "Tự đánh giá", "7", "7", "7", ""],
]


def body(officer: str, agency: str, period: str, assessor: str, role: str, points: tuple,
         comment: str | None = None, occurred_at: str = RECORDED_AT) -> dict:
    data = {"period": period, "assessor_id": assessor, "assessor_role": role,
            "criteria": [{"code": c, "points": p} for c, p in zip(("compliance", "coordination", "service_attitude"), points)]}
    if comment:
        data["comment"] = comment
    return {"event_type": "officer.assessed", "schema_version": 1, "occurred_at": occurred_at,
            "source": "motcua.staff-import", "agency_code": agency, "officer_id": officer, "data": data}


def with_id(event_body: dict) -> dict:
    text = json.dumps(event_body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return {"event_id": str(uuid.uuid5(NAMESPACE, text)), **event_body}


def good_events(occurred_at: str = RECORDED_AT) -> list[dict]:
    return [
        with_id(body("CB0042", "SKHDT", "2026-03", "CB0001", "manager", (9, 8, 10), "Hoàn thành tốt, đúng hạn", occurred_at)),
        with_id(body("CB0043", "SKHDT", "2026-Q1", "CB0001", "manager", (8.5, 10, 9), None, occurred_at)),
        with_id(body("CB0050", "STP", "2026", "CB0050", "self", (7, 7, 7), None, occurred_at)),
    ]


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path
