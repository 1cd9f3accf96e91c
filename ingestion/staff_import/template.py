"""The blank assessment sheet, generated from the criteria catalogue in force on a date.

Headers: the fixed columns' Vietnamese labels, then one column per criterion named
"<name_vi> (<code>)", then "Nhận xét". The .xlsx template also keeps Excel from turning periods
into dates (text columns), offers the role labels as a list, bounds each criterion's points, and
has a second sheet listing the criteria and how to fill the sheet. The .csv template is the header
row, UTF-8 with the byte-order mark so that Excel shows the Vietnamese letters.
"""
from __future__ import annotations

import csv
from pathlib import Path

from ingestion.staff_import.catalogue import CatalogueVersion
from ingestion.staff_import.columns import FIELDS, ROLE_LABELS, column_letter
from ingestion.staff_import.sheet import SHEET_TITLE
GUIDE_TITLE = "Hướng dẫn"
TEMPLATE_ROWS = 500   # rows prepared with formats and checks in the .xlsx


def headers(version: CatalogueVersion) -> list[str]:
    fixed = [f.label_vi for f in FIELDS if f.code != "comment"]
    criteria = [f"{c.name_vi} ({c.code})" for c in version.criteria]
    return [*fixed, *criteria, next(f.label_vi for f in FIELDS if f.code == "comment")]


def write_csv(version: CatalogueVersion, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f, lineterminator="\r\n").writerow(headers(version))


def write_xlsx(version: CatalogueVersion, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    names = headers(version)
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    last = TEMPLATE_ROWS + 1
    fixed = len(FIELDS) - 1
    for index, name in enumerate(names):
        letter = column_letter(index)
        sheet.column_dimensions[letter].width = max(14, min(48, len(name) + 2))
        if index < fixed:   # codes and periods are text: 2026-03 must not become a date, 0042 keep its zeros
            for row in range(2, last + 1):
                sheet[f"{letter}{row}"].number_format = "@"
    role_column = column_letter(next(i for i, f in enumerate(FIELDS) if f.code == "assessor_role"))
    roles = DataValidation(type="list", formula1='"' + ",".join(ROLE_LABELS.values()) + '"', allow_blank=True)
    roles.add(f"{role_column}2:{role_column}{last}")
    sheet.add_data_validation(roles)
    for offset, criterion in enumerate(version.criteria):
        letter = column_letter(fixed + offset)
        points = DataValidation(type="decimal", operator="between", formula1="0",
                                formula2=format(criterion.max_points, "f"), allow_blank=True,
                                showErrorMessage=True, errorTitle=criterion.code,
                                error=f"0 – {format(criterion.max_points, 'f')}")
        points.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(points)
    guide = workbook.create_sheet(GUIDE_TITLE)
    guide.append(["Mã tiêu chí / code", "Tên tiêu chí", "Criterion", "Điểm tối đa / max points",
                  "Phiên bản / version", "Áp dụng từ / valid from"])
    for criterion in version.criteria:
        guide.append([criterion.code, criterion.name_vi, criterion.name_en, float(criterion.max_points),
                      version.version, version.valid_from.isoformat()])
    guide.append([])
    for line in (
        f"Nhập trên trang '{SHEET_TITLE}': mỗi dòng một cán bộ, một kỳ, một người đánh giá.",
        "Kỳ đánh giá: 2026-03 (tháng), 2026-Q1 (quý), 2026 (năm).",
        "Vai trò: " + ", ".join(f"{label} ({code})" for code, label in ROLE_LABELS.items()) + ".",
        "Nhập lại một dòng đã gửi (cùng cán bộ, kỳ, người đánh giá) với điểm mới là một bản sửa: bản lưu sau cùng được dùng.",
        "One row per officer, period and assessor; a corrected row imported later replaces the earlier one.",
    ):
        guide.append([line])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    workbook.save(path)
