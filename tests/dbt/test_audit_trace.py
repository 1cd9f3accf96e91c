"""`motcua audit trace`: a tiny published month with hand-computed cases (SKHDT, March 2026).

Officer CB02's on-time rate for March 2026 (docs/domain/sla-clock.md for each deadline):
- T1: received Fri 6/3 17:20 (1 day, appointment Mon 9/3 17:00), completed Mon 9/3 16:50: on time;
- T2: received Mon 2/3 09:00 (3 days, appointment Thu 5/3 09:00), returned Tue 3/3 09:00,
  resubmitted Wed 4/3 14:00 (720 working minutes waiting: example 12, pause), so the effective
  deadline is Fri 6/3 14:00; completed Fri 6/3 15:00: late;
- T3: received Tue 3/3 10:00 (2 days, appointment Thu 5/3 10:00), completed Wed 4/3 10:00: early;
  its completion was delivered twice (a redelivery);
- T4: completed by CB03 (not CB02's); T5: withdrawn (no timeliness).
So numerator (completed_on_time) = {T1, T3}, denominator (completed) = {T1, T2, T3}: 2/3 = 0.6667.

The evaluation (staff topic): CB02 is a processing officer of SKHDT; T2's lateness is exempted by
decision QĐ-12/2026, so in the evaluation's on_time_rate T2 counts as on time (the factual rate
stays 2/3); the manager assessed March twice, the second version (a correction) is the one applied.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from ingestion import db
from ingestion.settings import load_local_secrets, local_secret
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from publish.trace_export import check_manifest
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import assigned, completed, insert_events, insert_redelivery, received, resubmitted, returned, vn, withdrawn
from tests.dbt.staff_events import assessed, exemption, insert_staff_events, positioned

AS_OF = "2026-04-15T00:00:00+07:00"
ID_NUMBER, FULL_NAME = "001090012345", "Nguyễn Văn A"
CELL = ["--table", "kpi_officer_monthly", "--key", "officer_id=CB02", "--key", "agency_code=SKHDT",
        "--key", "month=2026-03", "--measure", "on_time_rate"]
T3_DONE = completed("T3", vn("2026-03-04 10:00"))


def events() -> list:
    person = {"id_number": ID_NUMBER, "full_name": FULL_NAME}
    return [
        received("T1", vn("2026-03-06 17:20"), vn("2026-03-09 17:00"), days=1, applicant=person),
        assigned("T1", vn("2026-03-09 08:10"), "CB02"),
        completed("T1", vn("2026-03-09 16:50")),
        received("T2", vn("2026-03-02 09:00"), vn("2026-03-05 09:00"), days=3),
        assigned("T2", vn("2026-03-02 09:30"), "CB02"),
        returned("T2", vn("2026-03-03 09:00")),
        resubmitted("T2", vn("2026-03-04 14:00")),
        completed("T2", vn("2026-03-06 15:00")),
        received("T3", vn("2026-03-03 10:00"), vn("2026-03-05 10:00"), days=2),
        T3_DONE,
        received("T4", vn("2026-03-10 09:00"), vn("2026-03-12 09:00"), days=2),
        completed("T4", vn("2026-03-11 09:00"), officer="CB03"),
        received("T5", vn("2026-03-10 10:00"), vn("2026-03-12 10:00"), days=2),
        withdrawn("T5", vn("2026-03-11 10:00")),
    ]


EVENTS = events()


def build_and_publish(dbname: str, target: Path, run_id: str, night: date, *, incremental: bool = False,
                      as_of: str = AS_OF) -> None:
    args = ("run", "--select", "+fct_cases +kpi_officer_daily +kpi_officer_monthly +kpi_agency_monthly +kpi_case_membership"
            " +eval_officer_kpi_period +eval_officer_period +eval_officer_criteria_period +eval_case_membership"
            " +eval_assessment_membership")
    if not incremental:
        args = ("build", *args[1:], "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")
    run_dbt(dbname, *args, target_path=target, as_of=as_of)
    end = datetime(night.year, night.month, night.day, tzinfo=timezone(timedelta(hours=7))) + timedelta(days=1)
    publish(PublishRequest(run_id=run_id, local_date=night, interval_start=end - timedelta(days=1), interval_end=end),
            dbname=dbname, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)


@pytest.fixture(scope="module")
def published(module_db, dbt_target):
    insert_events(module_db, EVENTS)
    insert_redelivery(module_db, T3_DONE)
    insert_staff_events(module_db, [
        positioned("CB02", "SKHDT", "PHONG1", "processing", "2026-01-01"),
        assessed("CB02", "SKHDT", "2026-03", (9, 9, 9), vn("2026-04-01 09:00")),
        assessed("CB02", "SKHDT", "2026-03", (8, 9, 10), vn("2026-04-02 09:00")),
        exemption("T2", "lateness", "QĐ-12/2026", vn("2026-03-20 09:00"))])
    build_and_publish(module_db, dbt_target, "night-1", date(2026, 4, 14))
    return module_db


def trace(dbname: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PGDATABASE": dbname, **env}
    return subprocess.run([sys.executable, "-m", "motcua", "audit", "trace", *args], env=environment,
                          capture_output=True, text=True, timeout=120)


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def access_log(dbname: str) -> list[tuple]:
    with db.connect("auditor", dbname) as conn:
        return conn.execute("select accessed_by, table_name, grain, measure, case_ids, event_count"
                            " from pii.personal_data_access order by access_id").fetchall()


def test_trace_exports_the_figure_its_cases_and_raw_events(published, tmp_path):
    out = tmp_path / "trace"
    done = trace(published, *CELL, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "marts.kpi_officer_monthly officer_id=CB02 agency_code=SKHDT month=2026-03-01 on_time_rate = 0.6667" in done.stdout
    assert "numerator cases_completed_on_time: 2 cases; denominator cases_completed: 3 cases" in done.stdout

    cases = {row["case_id"]: row for row in read_csv(out / "cases.csv")}
    assert {c: (r["in_numerator"], r["in_denominator"], r["timeliness"]) for c, r in cases.items()} == {
        "T1": ("True", "True", "on_time"), "T2": ("False", "True", "late"), "T3": ("True", "True", "early")}
    assert cases["T2"]["waiting_working_minutes"] == "720.00"
    assert datetime.fromisoformat(cases["T2"]["effective_due_at"]) == vn("2026-03-06 14:00")

    rows = read_csv(out / "events.csv")
    assert sorted((r["case_id"], r["event_type"], r["delivery"]) for r in rows) == sorted([
        ("T1", "case.received", "first"), ("T1", "case.assigned", "first"), ("T1", "case.completed", "first"),
        ("T2", "case.received", "first"), ("T2", "case.assigned", "first"), ("T2", "case.returned", "first"),
        ("T2", "case.resubmitted", "first"), ("T2", "case.completed", "first"),
        ("T3", "case.received", "first"), ("T3", "case.completed", "first"), ("T3", "case.completed", "redelivery")])
    # the SHA-256 of the message bytes as the producer sent them (tests/raw_events.py serialises so)
    by_id = {e.event_id: e for e in EVENTS}
    for row in rows:
        if row["delivery"] == "first":
            sent = json.dumps(by_id[row["event_id"]].payload(), ensure_ascii=False).encode()
            assert row["sha256"] == hashlib.sha256(sent).hexdigest()
            assert row["kafka_topic"] == "test.case-events" and row["kafka_offset"].isdigit()
    redelivered = json.dumps(T3_DONE.payload(), ensure_ascii=False, separators=(",", ":")).encode()
    assert [r["sha256"] for r in rows if r["delivery"] == "redelivery"] == [hashlib.sha256(redelivered).hexdigest()]

    # the manifest: one line per file, each hash recomputed here
    manifest = (out / "MANIFEST.sha256").read_text().splitlines()
    names = sorted(line.split("  ")[1] for line in manifest)
    assert names == ["cases.csv", "events.csv", "figure.csv", "trace.json"]
    for line in manifest:
        digest, name = line.split("  ")
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True).returncode == 0
    (out / "cases.csv").write_text((out / "cases.csv").read_text().replace("late", "on_time"))
    assert check_manifest(out) == ["cases.csv"]

    # no personal data without the flag, and no access logged
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert ID_NUMBER not in text and FULL_NAME not in text, path.name
    t1_receipt = next(r for r in rows if r["case_id"] == "T1" and r["event_type"] == "case.received")
    assert json.loads(t1_receipt["withheld_fields"]) == ["data.applicant"]
    assert "applicant" not in json.loads(t1_receipt["payload"])["data"]
    assert access_log(published) == []


def test_personal_data_only_with_the_flag_and_logged(published, tmp_path):
    out = tmp_path / "with-pii"
    done = trace(published, *CELL, "--out", str(out), "--include-personal-data")
    assert done.returncode == 0, done.stderr
    document = json.loads((out / "trace.json").read_text(encoding="utf-8"))
    receipt = next(e for e in document["events"] if e["case_id"] == "T1" and e["event_type"] == "case.received")
    assert receipt["payload"]["data"]["applicant"] == {"id_number": ID_NUMBER, "full_name": FULL_NAME}
    assert ID_NUMBER in (out / "events.csv").read_text(encoding="utf-8")
    assert access_log(published) == [("motcua_auditor", "kpi_officer_monthly",
                                      {"officer_id": "CB02", "agency_code": "SKHDT", "month": "2026-03-01"},
                                      "on_time_rate", ["T1", "T2", "T3"], 10)]


def test_evaluation_cells_list_the_exemption_and_the_assessment_versions(published, tmp_path):
    out = tmp_path / "eval"
    done = trace(published, "--table", "eval_officer_kpi_period", "--key", "officer_id=CB02", "--key", "period_type=month",
                 "--key", "period=2026-03", "--key", "kpi_code=on_time_rate", "--measure", "value_evaluation",
                 "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "exemption: case T2 on_time_rate lateness decision QĐ-12/2026" in done.stdout
    cases = {r["case_id"]: (r["in_numerator"], r["in_numerator_factual"], r["in_denominator"])
             for r in read_csv(out / "cases.csv")}
    assert cases == {"T1": ("True", "True", "True"), "T2": ("True", "False", "True"), "T3": ("True", "True", "True")}
    assert read_csv(out / "exemptions.csv") == [
        {"case_id": "T2", "kpi_code": "on_time_rate", "decision_ref": "QĐ-12/2026", "scope": "lateness"}]

    period = trace(published, "--table", "eval_officer_period", "--key", "officer_id=CB02", "--key", "period_type=month",
                   "--key", "period=2026-03", "--measure", "general_points", "--out", str(tmp_path / "period"))
    assert period.returncode == 0, period.stderr
    versions = read_csv(tmp_path / "period" / "assessments.csv")
    assert [(v["assessor_role"], v["used"], v["reason"]) for v in versions] == [
        ("manager", "False", "superseded"), ("manager", "True", "applied")]
    assert all(len(v["sha256"]) == 64 for v in versions)
    # --verify recomputes the officer-month (tests/dbt/test_audit_verify_eval.py): the correction's 8 + 9 + 10;
    # three completed cases are fewer than min_cases (5): no KPI is scored, the result is pending
    verified = trace(published, "--table", "eval_officer_period", "--key", "officer_id=CB02", "--key", "period_type=month",
                     "--key", "period=2026-03", "--measure", "general_points", "--verify", "--out", str(tmp_path / "v"))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "verify: AGREE: general_points recomputed 27.00, published 27.00;" in verified.stdout


def test_refused_to_other_roles(published, tmp_path):
    load_local_secrets("MOTCUA_BI_PASSWORD")
    bi = {"PGUSER": "motcua_bi", "PGPASSWORD": local_secret("MOTCUA_BI_PASSWORD") or ""}
    done = trace(published, *CELL, "--out", str(tmp_path / "bi"), "--include-personal-data", **bi)
    assert done.returncode == 2
    assert "audit trace runs as motcua_auditor only; this connection is motcua_bi" in done.stderr
    assert not (tmp_path / "bi").exists()
    # and directly: BI reads no raw payload and cannot write (or forge) the access log
    for sql in ("select payload from raw.case_events limit 1",
                "insert into pii.personal_data_access (purpose, table_name, grain, measure, case_ids, event_count)"
                " values ('x', 'x', '{}', 'x', '{}', 0)"):
        with db.connect("bi", published) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql)
    # the auditor cannot erase its own access, nor can the owner (the trigger refuses)
    for role in ("auditor", "owner"):
        with db.connect(role, published) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("truncate pii.personal_data_access")


@pytest.mark.parametrize("args, message", [
    (["--table", "kpi_officer_month", "--measure", "on_time_rate"], "unknown table 'kpi_officer_month'; traceable tables: kpi_officer_daily,"),
    (CELL[:-2] + ["--measure", "ontime"], "unknown measure 'ontime' for kpi_officer_monthly; valid measures: cases_received,"),
    (["--table", "kpi_agency_monthly", "--key", "agency=SKHDT", "--key", "month=2026-03", "--measure", "on_time_rate"],
     "unknown key agency for kpi_agency_monthly; its keys: agency_code=… month=…"),
    (["--table", "kpi_agency_monthly", "--key", "agency_code=SKHDT", "--key", "month=2026-13", "--measure", "late"],
     "month='2026-13' is not a date (YYYY-MM-DD)"),
])
def test_usage_errors_are_one_line_and_list_the_valid_names(published, args, message):
    done = trace(published, *args)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_verify_agrees_then_names_what_differs(published, dbt_target, tmp_path):
    done = trace(published, *CELL, "--out", str(tmp_path / "v1"), "--verify")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify: AGREE: recomputed 0.6667, published 0.6667; 3/3 cases agree" in done.stdout
    assert [r["agrees"] for r in read_csv(tmp_path / "v1" / "verification.csv")] == ["True"] * 3

    # Night 2: T6 (received Thu 12/3 09:00, 1 day, due Fri 13/3 09:00) completed by CB02 Thu 12/3
    # 15:00, early: BI now sees 3/4 = 0.75; publication 1 still answers 0.6667.
    insert_events(published, [received("T6", vn("2026-03-12 09:00"), vn("2026-03-13 09:00"), days=1),
                              completed("T6", vn("2026-03-12 15:00"))])
    build_and_publish(published, dbt_target, "night-2", date(2026, 4, 15), incremental=True)
    now = trace(published, *CELL, "--out", str(tmp_path / "v2"), "--verify")
    assert now.returncode == 0, now.stdout + now.stderr
    assert "on_time_rate = 0.7500" in now.stdout and "4/4 cases agree" in now.stdout
    first = trace(published, *CELL, "--out", str(tmp_path / "p1"), "--publication", "1")
    assert first.returncode == 0 and "on_time_rate = 0.6667  (publication 1," in first.stdout
    assert "the figure was revised after publication 1: BI now sees 0.7500" in first.stdout
    today = datetime.now(timezone(timedelta(hours=7))).date().isoformat()
    seen = trace(published, *CELL, "--out", str(tmp_path / "asof"), "--as-of", today)
    assert seen.returncode == 0 and "on_time_rate = 0.7500  (publication 2," in seen.stdout
    before = trace(published, *CELL, "--as-of", "2020-01-01")
    assert before.returncode == 2 and "no publication was swapped into marts by the end of 2020-01-01" in before.stderr

    # A completion loaded after the last build: raw says T7 (received Mon 16/3 09:00, 1 day, due Tue
    # 17/3 09:00, completed Wed 18/3 10:00) is late and CB02's, the published figure does not have it.
    insert_events(published, [received("T7", vn("2026-03-16 09:00"), vn("2026-03-17 09:00"), days=1),
                              completed("T7", vn("2026-03-18 10:00"))])
    stale = trace(published, *CELL, "--out", str(tmp_path / "v3"), "--verify")
    assert stale.returncode == 1
    assert "DISAGREE case T7: counts in completed: published null, recomputed 1; not in marts.fct_cases" in stale.stdout
    assert "verify: DISAGREE: recomputed 0.6000, published 0.7500; 4/5 cases agree" in stale.stdout
