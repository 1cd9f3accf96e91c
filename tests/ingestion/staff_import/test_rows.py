"""`motcua staff import --dry-run` and `motcua staff template`: the checks, the events, the template.

No service is needed: --dry-run prints the events it would send. Producing them is
test_import_kafka.py.
"""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from openpyxl import load_workbook

from ingestion.settings import PROJECT_ROOT
from motcua.cli import main
from tests.ingestion.staff_import.sheets import (
    GOOD_ROWS, HEADER_EN, HEADER_VI, RECORDED_AT, body, good_events, with_id, write_csv, write_xlsx,
)

SCHEMA = json.loads((PROJECT_ROOT / "ingestion" / "contract" / "staff-event.schema.json").read_text(encoding="utf-8"))


def run(capsys, *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(["staff", *argv])
    out, err = capsys.readouterr()
    return code, [line for line in out.splitlines() if line], [line for line in err.splitlines() if line]


def dry_run(capsys, path: Path, *extra: str) -> tuple[int, list[dict], list[str]]:
    code, out, err = run(capsys, "import", str(path), "--dry-run", "--recorded-at", RECORDED_AT, *extra)
    return code, [json.loads(line) for line in out], err


def test_a_csv_of_good_rows_becomes_the_contract_events(tmp_path, capsys):
    path = write_csv(tmp_path / "danh-gia.csv", HEADER_VI, GOOD_ROWS)

    code, events, err = dry_run(capsys, path)

    assert (code, err) == (0, [])
    assert events == good_events()
    # the id recipe is pinned: a change would turn every re-import into new versions
    assert events[0]["event_id"] == "9c95ff64-4cdd-57d9-9a26-7592d2e91a05"
    validator = Draft202012Validator(SCHEMA, format_checker=FormatChecker())
    for event in events:
        assert list(validator.iter_errors(event)) == []


def test_english_codes_as_headers_and_a_semicolon_csv_give_the_same_events(tmp_path, capsys):
    path = write_csv(tmp_path / "assessments.csv", HEADER_EN, GOOD_ROWS, delimiter=";")

    code, events, err = dry_run(capsys, path)

    assert (code, err) == (0, [])
    assert events == good_events()


BAD_HEADER = [*HEADER_VI, "Sáng kiến (initiative)"]
GOOD = ["SKHDT", "CB0042", "2026-03", "CB0001", "Lãnh đạo trực tiếp", "9", "8", "10", "", ""]
BAD_ROWS = [
    GOOD,                                                                                  # row 2
    ["SKHDT", "CB0043", "2026-03", "CB0001", "manager", "9", "12", "10", "", ""],            # 3
    ["SKHDT", "Nguyễn Văn A", "2026-03", "CB0001", "manager", "9", "8", "10", "", ""],       # 4
    ["SKHDT", "CB0044", "2026-13", "CB0001", "manager", "9", "8", "10", "", ""],             # 5
    ["SKHDT", "CB0045", "2026-03", "CB0001", "boss", "9", "8", "10", "", ""],                # 6
    ["SKHDT", "CB0046", "2026-03", "CB0001", "manager", "9", "8", "", "", ""],               # 7
    ["", "", "", "", "", "", "", "", "", ""],                                                # 8: blank, skipped
    ["SKHDT", "CB0047", "2026-03", "CB0001", "manager", "9", "8", "-1", "", ""],             # 9
    ["SKHDT", "CB0048", "2025-12", "CB0001", "manager", "9", "8", "10", "", ""],             # 10
    ["SKHDT", "CB0049", "2026-03", "CB0001", "manager", "9", "tốt", "10", "", ""],           # 11
    ["SKX", "CB0051", "2026-03", "CB0001", "manager", "9", "8", "10", "", ""],               # 12
    ["SKHDT", "CB0052", "2026-03", "CB0052", "manager", "9", "8", "10", "", ""],             # 13
    ["SKHDT", "CB0042", "2026-03", "CB0001", "Đồng nghiệp", "9", "8", "10", "", ""],         # 14: same as row 2
    ["SKHDT", "CB0053", "2026-03", "CB0001", "Tự đánh giá", "9", "8", "10", "", ""],         # 15
    ["SKHDT", "CB0054", "2026-03", "CB0001", "manager", "9", "8", "10", "", "5"],            # 16
    ["", "CB0055", "2026-03", "CB0001", "manager", "9", "8", "10", "", ""],                  # 17
    ["SKHDT", "CB0056", "2027-01", "CB0001", "manager", "9", "8", "10", "", ""],             # 18
    ["STP", "CB0057", "2026-Q2", "CB0002", "peer", "10", "10", "10", "x" * 4001, ""],        # 19
    ["STP", "CB0058", "2026-Q2", "CB0002", "peer", "10", "10", "10", "", ""],                # 20: valid
]
BAD_REPORT = [
    "row 2: duplicate: same officer, period and assessor as row 14",
    "row 3: points 12 above the maximum 10 of criterion coordination",
    "row 4: officer id 'Nguyễn Văn A' has an unknown format (expected letters, digits, '.', '_' or '-', "
    "at most 32 characters, e.g. CB0042)",
    "row 5: bad period '2026-13' (expected 2026-03 for a month, 2026-Q1 for a quarter or 2026 for a year)",
    "row 6: bad assessor role 'boss' (expected Lãnh đạo trực tiếp / manager, Đồng nghiệp / peer, "
    "Tự đánh giá / self)",
    "row 7: missing criterion service_attitude",
    "row 9: points -1 below the minimum 0 of criterion service_attitude",
    "row 10: no criteria catalogue in force for period 2025-12 (the first is valid from 2026-01-01)",
    "row 11: points 'tốt' of criterion coordination are not a number",
    "row 12: unknown agency code 'SKX' (not in kpi_models/agencies.csv)",
    "row 13: the assessor is the officer: use the role self (Tự đánh giá)",
    "row 14: duplicate: same officer, period and assessor as row 2",
    "row 15: a self assessment's assessor must be the officer (CB0053), not CB0001",
    "row 16: unknown criterion initiative (catalogue version 2026.1)",
    "row 17: missing agency code (Mã cơ quan)",
    "row 18: bad period 2027-01: it starts after the file was saved (2026-04-03)",
    "row 19: comment of 4001 characters, more than 4000",
]


def test_every_bad_row_is_reported_with_its_row_number_and_reason_and_nothing_is_printed(tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", BAD_HEADER, BAD_ROWS)

    code, events, err = dry_run(capsys, path)

    assert code == 1
    assert events == []
    assert err == [*BAD_REPORT, "motcua staff: 17 of 18 rows are invalid (listed above); nothing was printed; "
                                "correct them and import the file again (or --skip-invalid to send the valid rows)"]


def test_skip_invalid_prints_only_the_valid_rows_and_still_reports_the_bad_ones(tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", BAD_HEADER, BAD_ROWS)

    code, events, err = dry_run(capsys, path, "--skip-invalid")

    assert code == 1
    assert events == [with_id(body("CB0058", "STP", "2026-Q2", "CB0002", "peer", (10, 10, 10)))]
    assert err[:-1] == BAD_REPORT
    assert err[-1] == "motcua staff: 17 of 18 rows are invalid (listed above); the 1 valid row was printed"


def test_a_row_with_several_problems_lists_them_all_on_one_line(tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", HEADER_VI, [["SKHDT", "CB 42", "2026-3", "CB0001", "sếp", "11", "", "x", ""]])

    code, _, err = dry_run(capsys, path)

    assert code == 1
    assert err[0] == ("row 2: officer id 'CB 42' has an unknown format (expected letters, digits, '.', '_' or '-', "
                      "at most 32 characters, e.g. CB0042); bad assessor role 'sếp' (expected Lãnh đạo trực tiếp / "
                      "manager, Đồng nghiệp / peer, Tự đánh giá / self); bad period '2026-3' (expected 2026-03 for a "
                      "month, 2026-Q1 for a quarter or 2026 for a year); points 'x' of criterion service_attitude "
                      "are not a number")


@pytest.mark.parametrize("header, problem", [
    ([*HEADER_VI[:-1], "Họ và tên"], "unknown column 'Họ và tên' in column I (expected the template's headers: "
                                     "Mã cơ quan, Mã cán bộ, Kỳ đánh giá, Mã người đánh giá, Vai trò người đánh giá, "
                                     "Nhận xét and one column per criterion, e.g. 'Khả năng phối hợp công việc "
                                     "(coordination)')"),
    ([h for h in HEADER_VI if h != "Kỳ đánh giá"] + ["x"], None),
    ([*HEADER_VI[:-1], "officer_id"], "columns B and I are both officer_id"),
])
def test_header_problems_are_row_1_and_nothing_is_sent(tmp_path, capsys, header, problem):
    rows = [["SKHDT", "CB0042", "2026-03", "CB0001", "manager", "9", "8", "10", ""]]
    path = write_csv(tmp_path / "header.csv", header, rows)

    code, events, err = dry_run(capsys, path, "--skip-invalid")

    assert code == 1 and events == []
    if problem is None:   # the period column is missing (and an unknown one added)
        assert err[0] == ("row 1: unknown column 'x' in column I (expected the template's headers: Mã cơ quan, "
                          "Mã cán bộ, Kỳ đánh giá, Mã người đánh giá, Vai trò người đánh giá, Nhận xét and one "
                          "column per criterion, e.g. 'Khả năng phối hợp công việc (coordination)'); "
                          "missing column 'Kỳ đánh giá' (period)")
    else:
        assert err[0] == f"row 1: {problem}"
    assert err[1] == ("motcua staff: the header row is invalid (listed above); nothing was printed; correct it and "
                      "import the file again")


def test_xlsx_cells_as_excel_stores_them_are_read_back(tmp_path, capsys):
    # Excel turns a typed 2026-03 into 1 March 2026, 42 into a number, 8.5 into a float
    rows = [["SKHDT", "CB0042", datetime(2026, 3, 1), "CB0001", "LÃNH ĐẠO TRỰC TIẾP", 9, 8.0, 10, None],
            [None, None, None, None, None, None, None, None, None],
            ["SKHDT", 42, "2026-q1", "CB0001", " manager ", 8.5, 10, 9, "  Tốt  "]]
    path = write_xlsx(tmp_path / "excel.xlsx", HEADER_VI, rows)

    code, events, err = dry_run(capsys, path)

    assert (code, err) == (0, [])
    assert events == [with_id(body("CB0042", "SKHDT", "2026-03", "CB0001", "manager", (9, 8, 10))),
                      with_id(body("42", "SKHDT", "2026-Q1", "CB0001", "manager", (8.5, 10, 9), "Tốt"))]


def _set_xlsx_modified(path: Path, instant: str) -> None:
    # rewrite docProps/core.xml's dcterms:modified, as Excel writes it when saving
    with zipfile.ZipFile(path) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    core = entries["docProps/core.xml"].decode()
    start = core.index('<dcterms:modified xsi:type="dcterms:W3CDTF">') + len('<dcterms:modified xsi:type="dcterms:W3CDTF">')
    end = core.index("</dcterms:modified>")
    entries["docProps/core.xml"] = (core[:start] + instant + core[end:]).encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)


def test_occurred_at_is_when_the_file_was_saved(tmp_path, capsys):
    xlsx = write_xlsx(tmp_path / "a.xlsx", HEADER_VI, [GOOD_ROWS[0]])
    _set_xlsx_modified(xlsx, "2026-04-05T01:30:00Z")
    csv_path = write_csv(tmp_path / "a.csv", HEADER_VI, [GOOD_ROWS[0]])
    os.utime(csv_path, (1775000000, 1775000000))   # 2026-03-31T23:33:20Z

    code_x, out_x, _ = run(capsys, "import", str(xlsx), "--dry-run")
    code_c, out_c, _ = run(capsys, "import", str(csv_path), "--dry-run")

    assert (code_x, code_c) == (0, 0)
    row = ("CB0042", "SKHDT", "2026-03", "CB0001", "manager", (9, 8, 10), "Hoàn thành tốt, đúng hạn")
    assert [json.loads(line) for line in out_x] == [with_id(body(*row, occurred_at="2026-04-05T08:30:00+07:00"))]
    assert [json.loads(line) for line in out_c] == [with_id(body(*row, occurred_at="2026-04-01T06:33:20+07:00"))]


def test_a_corrected_row_gets_a_new_id_and_a_later_occurred_at(tmp_path, capsys):
    first = write_csv(tmp_path / "v1.csv", HEADER_VI, GOOD_ROWS)
    corrected = [list(r) for r in GOOD_ROWS]
    corrected[0][6] = "9"   # coordination 8 → 9
    second = write_csv(tmp_path / "v2.csv", HEADER_VI, corrected)

    _, before, _ = dry_run(capsys, first)
    code, after, err = run(capsys, "import", str(second), "--dry-run", "--recorded-at", "2026-04-06T09:00:00+07:00")

    assert (code, err) == (0, [])
    after = [json.loads(line) for line in after]
    assert after[0] == with_id(body("CB0042", "SKHDT", "2026-03", "CB0001", "manager", (9, 9, 10),
                                    "Hoàn thành tốt, đúng hạn", "2026-04-06T09:00:00+07:00"))
    assert after[0]["event_id"] != before[0]["event_id"]
    assert after[0]["occurred_at"] > before[0]["occurred_at"]


def test_the_catalogue_in_force_for_the_period_decides(tmp_path, capsys):
    models = tmp_path / "kpi_models"
    models.mkdir()
    shutil.copy(PROJECT_ROOT / "kpi_models" / "agencies.csv", models)
    (models / "eval_criteria.csv").write_text(
        "criterion_code,name_vi,name_en,max_points,valid_from,version\n"
        "compliance,Tuân thủ,Compliance,10,2026-01-01,2026.1\n"
        "coordination,Phối hợp,Coordination,10,2026-01-01,2026.1\n"
        "service_attitude,Thái độ,Attitude,10,2026-01-01,2026.1\n"
        "coordination,Phối hợp,Coordination,15,2026-04-01,2026.2\n"
        "service_attitude,Thái độ,Attitude,15,2026-04-01,2026.2\n", encoding="utf-8")
    path = write_csv(tmp_path / "v.csv", HEADER_EN, [
        ["SKHDT", "CB0042", "2026-03", "CB0001", "manager", "9", "12", "10", ""],   # 2026.1: 12 > 10
        ["SKHDT", "CB0042", "2026-04", "CB0001", "manager", "", "12", "15", ""],    # 2026.2: no compliance
        ["SKHDT", "CB0043", "2026-04", "CB0001", "manager", "9", "12", "15", ""],   # 2026.2: compliance unknown
    ])

    code, out, err = run(capsys, "import", str(path), "--dry-run", "--skip-invalid", "--kpi-models", str(models),
                         "--recorded-at", "2026-05-02T08:00:00+07:00")

    assert code == 1
    assert err[:2] == ["row 2: points 12 above the maximum 10 of criterion coordination",
                       "row 4: unknown criterion compliance (catalogue version 2026.2)"]
    event = json.loads(out[0])
    assert len(out) == 1 and event["officer_id"] == "CB0042" and event["data"]["period"] == "2026-04"
    assert event["data"]["criteria"] == [{"code": "coordination", "points": 12}, {"code": "service_attitude", "points": 15}]


def test_an_empty_sheet_and_an_unreadable_file_are_reported(tmp_path, capsys):
    header_only = write_csv(tmp_path / "empty.csv", HEADER_VI, [])
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(",".join(HEADER_VI).encode("utf-8").replace("Mã".encode(), "M\xe3".encode("latin-1")))

    (tmp_path / "nothing.csv").write_bytes(b"")
    assert run(capsys, "import", str(tmp_path / "nothing.csv"), "--dry-run")[0:3:2] == (
        1, ["row 1: the sheet is empty (no header row)", "motcua staff: the header row is invalid (listed above); "
                                                         "nothing was printed; correct it and import the file again"])
    assert run(capsys, "import", str(header_only), "--dry-run")[0:3:2] == (
        1, [f"motcua staff: {header_only} has a header but no assessment rows; fill the sheet and import it again"])
    assert run(capsys, "import", str(latin1), "--dry-run")[0:3:2] == (
        2, [f"motcua staff: {latin1}: not UTF-8 text; in Excel, save it as 'CSV UTF-8 (Comma delimited)'"])
    assert run(capsys, "import", str(tmp_path / "a.ods"), "--dry-run")[0:3:2] == (
        2, [f"motcua staff: {tmp_path / 'a.ods'}: unsupported file type '.ods'; save the sheet as .xlsx or as CSV UTF-8 (.csv)"])


def test_the_catalogue_codes_are_those_of_catalogue_yml():
    catalogue = yaml.safe_load((PROJECT_ROOT / "kpi_models" / "catalogue.yml").read_text(encoding="utf-8"))
    criteria = (PROJECT_ROOT / "kpi_models" / "eval_criteria.csv").read_text(encoding="utf-8").splitlines()
    assert criteria[0] == "criterion_code,name_vi,name_en,max_points,valid_from,version"
    assert [c["code"] for c in catalogue["manager_rated_criteria"]] == ["compliance", "coordination", "service_attitude"]
    assert [line.split(",")[0] for line in criteria[1:]] == ["compliance", "coordination", "service_attitude"]
    for c in catalogue["manager_rated_criteria"]:
        assert any(line.startswith(f'{c["code"]},{c["name_vi"]},') or line.startswith(f'{c["code"]},"{c["name_vi"]}",')
                   for line in criteria), c


def test_the_shipped_csv_template_is_the_one_generated_from_the_catalogue(tmp_path, capsys):
    code, out, _ = run(capsys, "template", "--date", "2026-01-01", str(tmp_path / "t.csv"))

    assert code == 0
    assert out == [f"{tmp_path / 't.csv'}: csv template, criteria catalogue version 2026.1 "
                   "(compliance, coordination, service_attitude)"]
    shipped = (PROJECT_ROOT / "templates" / "staff-assessments.csv").read_bytes()
    assert shipped == (tmp_path / "t.csv").read_bytes()
    assert shipped == ("\ufeff" + ",".join(f'"{h}"' if "," in h else h for h in HEADER_VI) + "\r\n").encode("utf-8")


def test_the_filled_csv_template_imports(tmp_path, capsys):
    template = tmp_path / "mau.csv"
    assert run(capsys, "template", str(template))[0] == 0
    with open(template, "a", newline="", encoding="utf-8") as f:
        import csv

        csv.writer(f).writerows(GOOD_ROWS)

    code, events, err = dry_run(capsys, template)

    assert (code, err) == (0, [])
    assert events == good_events()


def test_the_xlsx_template_keeps_periods_as_text_and_offers_the_roles(tmp_path, capsys):
    path = tmp_path / "mau.xlsx"
    assert run(capsys, "template", "--format", "xlsx", "--date", "2026-02-01", str(path))[0] == 0

    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER_VI
    assert sheet["C2"].number_format == "@" and sheet["B300"].number_format == "@"
    formulas = sorted(v.formula1 for v in sheet.data_validations.dataValidation)
    assert '"Lãnh đạo trực tiếp,Đồng nghiệp,Tự đánh giá"' in formulas
    bounds = sorted((v.type, v.formula1, v.formula2) for v in sheet.data_validations.dataValidation if v.type == "decimal")
    assert bounds == [("decimal", "0", "10")] * 3
    guide = workbook["Hướng dẫn"]
    assert [c.value for c in guide["A"][1:4]] == ["compliance", "coordination", "service_attitude"]
