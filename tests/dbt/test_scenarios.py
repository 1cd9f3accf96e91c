"""Hand-written events -> ONE `dbt build` on a fresh database -> hand-computed expectations.

Every expected value below is computed by hand from the rules in docs/domain/, on the calendar seed
(python-holidays for VN): Tết 2026 = Mon 16/2 .. Fri 20/2 off; 30/4 (Thu) and 1/5 (Fri) 2026 off;
Quốc khánh 2026 = Mon 31/8 (swapped) + Tue 1/9 + Wed 2/9 off, Sat 22/8 worked (make-up day);
27/4/2026 (Mon) off (Giỗ Tổ, observed). Office hours 08:00-12:00 and 13:00-17:00, so a working
day is 480 minutes. All times are Asia/Ho_Chi_Minh (+07).
"""
from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from ingestion import db
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import (
    assigned, completed, complained, extended, insert_events, insert_redelivery, rated, received,
    resubmitted, returned, vn, withdrawn,
)

AS_OF = "2026-10-01T00:00:00+07:00"


def scenario_events() -> list:
    ev = []
    # S1 Friday-afternoon late receipt: Fri 6/3 17:20 is after hours -> clock starts Mon 9/3 08:00;
    #    1 working day -> legal deadline Mon 9/3 17:00. Appointment Mon 17:00 (not beyond the law).
    #    Completed Mon 16:50: same date as the deadline, before it -> on_time.
    ev += [received("S1", vn("2026-03-06 17:20"), vn("2026-03-09 17:00"), officer="R1", days=1,
                    applicant={"id_number": "001090012345", "full_name": "Nguyễn Văn A", "phone": "0912345678"}),
           completed("S1", vn("2026-03-09 16:50"), officer="C1")]
    # S1b: Fri 13/3 17:20 -> legal Mon 16/3 17:00; the receipt promised Tue 17/3 10:00 -> beyond the
    #    law (flag). Completed Tue 17/3 09:00: on the appointment's date, before it -> on_time.
    ev += [received("S1b", vn("2026-03-13 17:20"), vn("2026-03-17 10:00"), officer="R1", days=1),
           completed("S1b", vn("2026-03-17 09:00"), officer="C1")]
    # S2 across Tết 2026: received Thu 12/2 10:00, 5 days = 2400 min: Thu 12 gives 360 (10-12, 13-17),
    #    Fri 13 -> 840, 14..22 off, Mon 23 -> 1320, Tue 24 -> 1800, Wed 25 -> 2280, Thu 26 +120 -> 10:00.
    #    Legal = appointment = Thu 26/2 10:00. S2 completed Thu 26/2 11:00 -> late; S2b Wed 25/2 -> early.
    ev += [received("S2", vn("2026-02-12 10:00"), vn("2026-02-26 10:00"), officer="R2", days=5),
           completed("S2", vn("2026-02-26 11:00"), officer="C2"),
           received("S2b", vn("2026-02-12 10:00"), vn("2026-02-26 10:00"), officer="R2", days=5),
           completed("S2b", vn("2026-02-25 15:00"), officer="C2")]
    # S3 across 30/4-1/5: received Wed 29/4 14:00, 2 days = 960 min: Wed 180, Thu 30/4 + Fri 1/5 off,
    #    weekend, Mon 4/5 -> 660, Tue 5/5 +300 = 08:00+240 -> 12:00, 13:00+60 -> 14:00. Legal Tue 5/5 14:00.
    #    Completed Tue 13:30 -> on_time.
    ev += [received("S3", vn("2026-04-29 14:00"), vn("2026-05-05 14:00"), officer="R3", days=2),
           completed("S3", vn("2026-05-05 13:30"), officer="C3")]
    # S4a across Quốc khánh: received Thu 27/8 09:00, 3 days = 1440: Thu 420, Fri 28 -> 900, Sat 29 / Sun 30
    #    off, Mon 31/8 (swapped day) + Tue 1/9 + Wed 2/9 off, Thu 3/9 -> 1380, Fri 4/9 +60 -> 09:00.
    #    Completed Thu 3/9 -> early (before the deadline's date).
    ev += [received("S4a", vn("2026-08-27 09:00"), vn("2026-09-04 09:00"), officer="R4", days=3),
           completed("S4a", vn("2026-09-03 16:00"), officer="C4")]
    # S4b the make-up Saturday counts: received Fri 21/8 15:00, 1 day = 480: Fri 120, Sat 22/8 (worked)
    #    +360 = 08:00+240 -> 12:00, 13:00+120 -> 15:00. Legal = Sat 22/8 15:00 = the appointment.
    #    Completed Mon 24/8 09:00 -> late.
    ev += [received("S4b", vn("2026-08-21 15:00"), vn("2026-08-22 15:00"), officer="R4", days=1),
           completed("S4b", vn("2026-08-24 09:00"), officer="C4")]
    # S5 pause spanning 30/4-1/5: received Tue 28/4 09:00, 3 days -> appointment Tue 5/5 09:00
    #    (Tue 420, Wed 900, Thu/Fri off, Mon 4/5 1380, Tue +60). Returned Wed 29/4 15:00, resubmitted
    #    Mon 4/5 10:00: waiting = Wed 15-17 (120) + Mon 08-10 (120) = 240 min (the holidays cost nothing).
    #    Effective deadline = Tue 5/5 09:00 + 240 = 12:00 (180) then 13:00 + 60 = 14:00.
    #    Completed Tue 5/5 13:00 -> on_time (late without the pause).
    ev += [received("S5", vn("2026-04-28 09:00"), vn("2026-05-05 09:00"), officer="R5", days=3),
           assigned("S5", vn("2026-04-28 09:30"), "H5", officer="R5"),
           returned("S5", vn("2026-04-29 15:00"), officer="H5"),
           resubmitted("S5", vn("2026-05-04 10:00")),
           completed("S5", vn("2026-05-05 13:00"), officer="H5")]
    # S6 two returns: flagged as a breach; first-pass return counted once for the receiving officer R6.
    #    waits: Tue 3/3 09:00 -> Wed 4/3 09:00 (480) and Thu 5/3 09:00 -> Fri 6/3 09:00 (480) = 960 min.
    #    Appointment Mon 16/3 09:00 + 960 min (2 working days) = Wed 18/3 09:00. Completed Tue 10/3 -> early.
    ev += [received("S6", vn("2026-03-02 09:00"), vn("2026-03-16 09:00"), officer="R6", days=10),
           returned("S6", vn("2026-03-03 09:00"), officer="H6", reason="wrong_form"),
           resubmitted("S6", vn("2026-03-04 09:00")),
           returned("S6", vn("2026-03-05 09:00"), officer="H6"),
           resubmitted("S6", vn("2026-03-06 09:00")),
           completed("S6", vn("2026-03-10 10:00"), officer="H6")]
    # S7 an extension does not cure lateness: appointment Tue 3/3 09:00, extended to Thu 5/3 17:00,
    #    completed Wed 4/3 10:00 -> late.
    ev += [received("S7", vn("2026-03-02 09:00"), vn("2026-03-03 09:00"), officer="R7", days=1),
           extended("S7", vn("2026-03-03 08:00"), vn("2026-03-05 17:00"), officer="C7"),
           completed("S7", vn("2026-03-04 10:00"), officer="C7")]
    # S8 withdrawn: excluded from the on-time denominator, counted as withdrawn for the agency.
    ev += [received("S8", vn("2026-03-02 09:00"), vn("2026-03-05 09:00"), officer="R7", days=3),
           withdrawn("S8", vn("2026-03-04 09:00"))]
    # S9 refused: counted as completed (early: 3/3 < appointment date 4/3) and as refused.
    ev += [received("S9", vn("2026-03-02 09:00"), vn("2026-03-04 09:00"), officer="R7", days=2),
           completed("S9", vn("2026-03-03 10:00"), officer="C7", outcome="refused")]
    # S10 out of order and twice: the completion and the rating arrive before the receipt; a producer
    #    bug repeats the receipt under another event_id; the completion is redelivered (same event_id
    #    -> raw.redeliveries). Appointment Thu 5/3 17:00, completed Thu 5/3 10:00 -> on_time.
    s10_done = completed("S10", vn("2026-03-05 10:00"), officer="C10")
    ev += [s10_done, rated("S10", vn("2026-03-06 09:00"), 5), complained("S10", vn("2026-03-06 10:00")),
           received("S10", vn("2026-03-02 09:00"), vn("2026-03-05 17:00"), officer="R10", days=3),
           received("S10", vn("2026-03-02 09:00"), vn("2026-03-05 17:00"), officer="R10", days=3),
           assigned("S10", vn("2026-03-02 09:05"), "C10", officer="R10")]
    # S11 officer X receives at SKHDT (S11a, stays open) and completes at STP (S11b, received by R11).
    ev += [received("S11a", vn("2026-03-02 09:00"), vn("2026-03-20 09:00"), officer="X", days=10),
           received("S11b", vn("2026-03-02 09:00"), vn("2026-03-04 09:00"), officer="R11", agency="STP", days=2),
           completed("S11b", vn("2026-03-03 09:00"), officer="X", agency="STP")]
    # S12 a month with no completions: R12 receives in April; the case is still open at as_of.
    ev += [received("S12", vn("2026-04-06 09:00"), vn("2026-04-08 09:00"), officer="R12", agency="SNV", days=2)]
    # SXD: OpenCPS counts for June 2026 (received by R20, completed by C20).
    ev += [received("X1", vn("2026-06-01 09:00"), vn("2026-06-03 09:00"), officer="R20", agency="SXD", days=2),
           completed("X1", vn("2026-06-02 10:00"), officer="C20", agency="SXD"),          # early
           received("X2", vn("2026-06-01 09:00"), vn("2026-06-03 09:00"), officer="R20", agency="SXD", days=2),
           completed("X2", vn("2026-06-03 08:00"), officer="C20", agency="SXD"),          # on_time
           received("X3", vn("2026-06-01 09:00"), vn("2026-06-03 09:00"), officer="R20", agency="SXD", days=2),
           completed("X3", vn("2026-06-04 10:00"), officer="C20", agency="SXD"),          # late
           received("X4", vn("2026-06-29 09:00"), vn("2026-07-02 09:00"), officer="R20", agency="SXD", days=3),
           completed("X4", vn("2026-07-01 10:00"), officer="C20", agency="SXD"),          # open in deadline on 30/6; July early
           received("X5", vn("2026-06-10 09:00"), vn("2026-06-12 09:00"), officer="R20", agency="SXD", days=2),
           completed("X5", vn("2026-07-03 10:00"), officer="C20", agency="SXD"),          # overdue on 30/6; July late
           received("X6", vn("2026-06-10 09:00"), vn("2026-06-12 09:00"), officer="R20", agency="SXD", days=2),
           returned("X6", vn("2026-06-11 09:00"), officer="C20", agency="SXD"),           # waiting on 30/6
           resubmitted("X6", vn("2026-07-06 09:00"), agency="SXD"),
           completed("X6", vn("2026-07-07 08:30"), officer="C20", agency="SXD"),
           received("X7", vn("2026-06-15 09:00"), vn("2026-06-17 09:00"), officer="R20", agency="SXD", days=2),
           withdrawn("X7", vn("2026-06-16 09:00"), agency="SXD")]
    return ev, s10_done


@pytest.fixture(scope="module")
def built(module_db, dbt_target):
    events, s10_done = scenario_events()
    insert_events(module_db, events)
    insert_redelivery(module_db, s10_done)
    run_dbt(module_db, "build", target_path=dbt_target, as_of=AS_OF)
    # what BI and auditors read is the published copy (the gate is tested in tests/expectations)
    as_of = datetime.fromisoformat(AS_OF)
    publish(PublishRequest(run_id="scenario", local_date=as_of.date() - timedelta(days=1),
                           interval_start=as_of - timedelta(days=1), interval_end=as_of),
            dbname=module_db, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
    return module_db


def rows(dbname: str, sql: str, role: str = "transform") -> list[dict]:
    with db.connect(role, dbname) as conn, conn.cursor() as cur:
        cur.execute(sql)
        names = [c.name for c in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


def local(ts) -> str:
    return ts.astimezone(vn("2026-01-01 00:00").tzinfo).strftime("%Y-%m-%d %H:%M")


def test_scenarios(built):
    cases = {r["case_id"]: r for r in rows(built, f"select * from {BUILD_SCHEMA}.fct_cases")}
    # 16 S* cases and 7 X* cases, all with their receipt.
    assert len(cases) == 23

    s1 = cases["S1"]
    assert local(s1["clock_started_at"]) == "2026-03-09 08:00"
    assert local(s1["legal_due_at"]) == "2026-03-09 17:00"
    assert s1["is_due_beyond_legal_limit"] is False
    assert s1["timeliness"] == "on_time"
    assert local(cases["S1b"]["legal_due_at"]) == "2026-03-16 17:00"
    assert cases["S1b"]["is_due_beyond_legal_limit"] is True
    assert cases["S1b"]["timeliness"] == "on_time"

    assert local(cases["S2"]["legal_due_at"]) == "2026-02-26 10:00"
    assert cases["S2"]["is_due_beyond_legal_limit"] is False
    assert (cases["S2"]["timeliness"], cases["S2b"]["timeliness"]) == ("late", "early")

    assert local(cases["S3"]["legal_due_at"]) == "2026-05-05 14:00"
    assert cases["S3"]["timeliness"] == "on_time"

    assert local(cases["S4a"]["legal_due_at"]) == "2026-09-04 09:00"
    assert cases["S4a"]["timeliness"] == "early"
    assert local(cases["S4b"]["legal_due_at"]) == "2026-08-22 15:00"
    assert cases["S4b"]["timeliness"] == "late"

    s5 = cases["S5"]
    assert s5["waiting_working_minutes"] == Decimal("240.00")
    assert local(s5["effective_due_at"]) == "2026-05-05 14:00"
    assert s5["timeliness"] == "on_time"
    assert s5["handling_officer_id"] == "H5"

    s6 = cases["S6"]
    assert (s6["return_count"], s6["is_repeat_return_breach"]) == (2, True)
    assert s6["first_return_reason_code"] == "wrong_form"
    assert s6["waiting_working_minutes"] == Decimal("960.00")
    assert local(s6["effective_due_at"]) == "2026-03-18 09:00"
    assert s6["timeliness"] == "early"

    s7 = cases["S7"]
    assert (s7["extension_count"], s7["timeliness"]) == (1, "late")
    assert local(s7["effective_due_at"]) == "2026-03-03 09:00"

    assert (cases["S8"]["status"], cases["S8"]["timeliness"]) == ("withdrawn", None)
    assert (cases["S9"]["status"], cases["S9"]["outcome"], cases["S9"]["timeliness"]) == ("completed", "refused", "early")

    s10 = cases["S10"]
    assert (s10["receiving_officer_id"], s10["handling_officer_id"]) == ("R10", "C10")
    assert local(s10["received_at"]) == "2026-03-02 09:00"
    assert (s10["timeliness"], s10["rating_score"], s10["complaint_count"], s10["event_count"]) == ("on_time", 5, 1, 6)

    assert (cases["S11b"]["agency_code"], cases["S11b"]["handling_officer_id"]) == ("STP", "X")
    # as_of 1/10/2026 is long past S12's appointment (8/4): overdue and open.
    assert (cases["S12"]["status"], cases["S12"]["is_overdue_open"]) == ("open", True)
    x6 = cases["X6"]
    # X6 waited Thu 11/6 09:00 -> Mon 6/7 09:00 = 17 working days (11,12,15-19,22-26,29,30/6, 1-3/7)
    # = 8160 min; appointment Fri 12/6 09:00 + 17 working days = Tue 7/7 09:00; completed 08:30.
    assert x6["waiting_working_minutes"] == Decimal("8160.00")
    assert local(x6["effective_due_at"]) == "2026-07-07 09:00"
    assert x6["timeliness"] == "on_time"


def test_officer_kpis(built):
    monthly = {(r["officer_id"], r["agency_code"], r["month"]): r
               for r in rows(built, f"select * from {BUILD_SCHEMA}.kpi_officer_monthly")}
    march = date(2026, 3, 1)
    # C7 in March: S7 late, S9 refused early -> 2 completed, 1 on time, refused 1; S8 (withdrawn) not counted.
    c7 = monthly[("C7", "SKHDT", march)]
    assert (c7["cases_completed"], c7["cases_completed_on_time"], c7["refused"]) == (2, 1, 1)
    # rates are stored rounded to 4 decimals; the exact fraction is the row's numerator / denominator
    assert str(c7["on_time_rate"]) == "0.5000"
    assert c7["on_time_rate_target"] == Decimal("0.98") and c7["on_time_rate_met"] is False
    # March 2026 has 22 working days: throughput 2 / 22.
    assert c7["working_days"] == 22
    assert c7["throughput_per_working_day"] == Decimal("0.0909")   # 2 / 22 = 0.090909…
    assert Fraction(c7["cases_completed"], c7["working_days"]) == Fraction(2, 22)
    # R7 received S7, S8, S9 -> 3 received, none returned -> rate 0; R7 completed nothing -> NULL rates.
    r7 = monthly[("R7", "SKHDT", march)]
    assert (r7["cases_received"], r7["cases_returned_first_pass"], r7["first_pass_return_rate"]) == (3, 0, 0)
    assert (r7["cases_completed"], r7["on_time_rate"], r7["complaint_rate"]) == (0, None, None)
    assert r7["first_pass_return_rate_met"] is True
    # R6: S6 returned twice, counted once as a first-pass return: 1 / 1.
    r6 = monthly[("R6", "SKHDT", march)]
    assert (r6["cases_received"], r6["cases_returned_first_pass"], r6["first_pass_return_rate"]) == (1, 1, 1)
    assert r6["first_pass_return_rate_met"] is False
    # S10 received twice under two event_ids: one case for R10; the rating (5) and complaint go to C10.
    assert monthly[("R10", "SKHDT", march)]["cases_received"] == 1
    c10 = monthly[("C10", "SKHDT", march)]
    assert (c10["cases_completed"], c10["ratings_count"], c10["avg_rating"], c10["complaints_count"]) == (1, 1, 5, 1)
    assert (c10["cases_completed_with_complaint"], c10["complaint_rate"], c10["avg_rating_met"]) == (1, 1, True)
    # X: one row per agency in March.
    assert (monthly[("X", "SKHDT", march)]["cases_received"], monthly[("X", "SKHDT", march)]["cases_completed"]) == (1, 0)
    x_stp = monthly[("X", "STP", march)]
    assert (x_stp["cases_received"], x_stp["cases_completed"], x_stp["on_time_rate"]) == (0, 1, 1)
    # R12 in April: received 1, completed 0 -> on-time and complaint rates NULL; throughput 0 / 20
    # working days (April 2026: 22 weekdays minus 27/4 and 30/4).
    r12 = monthly[("R12", "SNV", date(2026, 4, 1))]
    assert (r12["cases_received"], r12["cases_completed"], r12["working_days"]) == (1, 0, 20)
    assert (r12["on_time_rate"], r12["complaint_rate"], r12["avg_rating"]) == (None, None, None)
    assert r12["throughput_per_working_day"] == 0 and r12["on_time_rate_met"] is None
    # daily grain: C1 completed S1 on Mon 9/3 (a working day).
    c1 = rows(built, f"select * from {BUILD_SCHEMA}.kpi_officer_daily where officer_id = 'C1' and activity_date = '2026-03-09'")
    assert [(r["cases_completed"], r["on_time_rate"], r["working_days"]) for r in c1] == [(1, 1, 1)]


def test_agency_opencps_counts(built):
    agency = {r["month"]: r for r in rows(built, f"select * from {BUILD_SCHEMA}.kpi_agency_monthly where agency_code = 'SXD'")}
    june, july = agency[date(2026, 6, 1)], agency[date(2026, 7, 1)]
    # June: 7 received; X1 early, X2 on time, X3 late; on 30/6 X4 open within its deadline, X5 overdue,
    # X6 waiting for the applicant; X7 withdrawn; X6 returned once -> first-pass 1/7.
    assert (june["cases_received"], june["cases_completed"], june["early"], june["on_time"], june["late"]) == (7, 3, 1, 1, 1)
    assert (june["open_within_deadline"], june["open_overdue"], june["waiting_for_applicant"], june["withdrawn"]) == (1, 1, 1, 1)
    assert june["on_time_rate"] == Decimal("0.6667")              # 2 / 3, rounded half up
    assert june["first_pass_return_rate"] == Decimal("0.1429")    # 1 / 7 = 0.142857…
    assert Fraction(june["cases_completed_on_time"], june["cases_completed"]) == Fraction(2, 3)
    # Decision 766 2.1: (2 on time + 1 within deadline) / (3 completed + 3 open) = 0.5
    assert june["progress_index_766"] == Decimal("0.5000")
    assert june["working_days"] == 22
    # July: X4 early, X5 late, X6 on time; nothing open at the end of July.
    assert (july["cases_received"], july["cases_completed"], july["cases_completed_on_time"]) == (0, 3, 2)
    assert (july["open_within_deadline"], july["open_overdue"], july["waiting_for_applicant"]) == (0, 0, 0)


def test_lineage_privacy_and_grants(built):
    # KPI row -> its cases: SXD June on-time numerator is {X1, X2}, in the build and as published.
    for membership in (f"{BUILD_SCHEMA}.kpi_case_membership", "lineage.kpi_case_membership"):
        members = rows(built, f"select case_id from {membership} where agency_code = 'SXD'"
                              " and month = '2026-06-01' and measure = 'completed_on_time' order by 1", role="auditor")
        assert [m["case_id"] for m in members] == ["X1", "X2"], membership
    # case -> raw events with Kafka coordinates and the verbatim payload (auditors only).
    lineage = rows(built, "select * from lineage.case_event_lineage where case_id = 'S10'", role="auditor")
    assert len(lineage) == 6 and all(r["kafka_topic"] and r["payload"]["case_id"] == "S10" for r in lineage)
    # applicant data: only a keyed HMAC-SHA256 outside raw, and that pseudonym for auditors only.
    key = os.environ["MOTCUA_PII_HMAC_KEY"].encode()
    expected = hmac.new(key, b"001090012345", hashlib.sha256).hexdigest()
    assert rows(built, "select applicant_id_hash from lineage.case_applicants where case_id = 'S1'",
                role="auditor")[0]["applicant_id_hash"] == expected
    for schema in ("marts", BUILD_SCHEMA):   # neither the published marts nor the build hold it
        assert rows(built, "select count(*) as n from information_schema.columns"
                           f" where table_schema = '{schema}' and column_name like 'applicant%'")[0]["n"] == 0
    staged_columns = {r["column_name"] for r in rows(
        built, "select column_name from information_schema.columns where table_schema in "
               f"('staging', 'intermediate', 'marts', '{BUILD_SCHEMA}', 'lineage')"
               " and table_name not in ('case_event_lineage', 'orphan_case_events')")}
    assert "payload" not in staged_columns
    # motcua_bi reads the published marts, nothing else: not the build the gate has not judged yet.
    assert rows(built, "select count(*) as n from marts.kpi_officer_monthly", role="bi")[0]["n"] > 0
    for hidden in (f"{BUILD_SCHEMA}.kpi_officer_monthly", "staging.stg_motcua__case_events", "lineage.kpi_case_membership",
                   "lineage.case_applicants", "pii.key_fingerprint"):
        with pytest.raises(Exception, match="permission denied"):
            rows(built, f"select * from {hidden}", role="bi")
    assert rows(built, f"select count(*) as n from {BUILD_SCHEMA}.kpi_officer_monthly", role="auditor")[0]["n"] > 0
    # column comments reach the published tables BI tools read.
    comment = rows(built, "select col_description('marts.kpi_officer_monthly'::regclass, 1) as c")[0]["c"]
    assert comment and "Mã cán bộ" in comment


def test_kpi_summary_script(built):
    import subprocess
    import sys

    from tests.dbt.dbt_runner import dbt_env

    proc = subprocess.run([sys.executable, "scripts/kpi_summary.py", "--dbname", built], capture_output=True,
                          text=True, env=dbt_env(built), cwd=str(__import__("ingestion").settings.PROJECT_ROOT), timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # SXD June (hand-computed above): 7 received, 3 completed, 2/3 on time, 1/7 returned.
    assert any(line.split() == ["SXD", "2026-06", "7", "3", "66.7%", "14.3%", "Sở", "Xây", "dựng"] for line in lines), proc.stdout
    # R12's agency SNV in April: nothing completed -> a dash, not 0% or 100%.
    assert any(line.split()[:6] == ["SNV", "2026-04", "1", "0", "—", "0.0%"] for line in lines), proc.stdout
    # February holds only 12-28/2 (the history starts on 12/2): marked partial; S2, S2b: 1 of 2 on time
    assert any(line.split()[:6] == ["SKHDT", "2026-02*", "2", "2", "50.0%", "0.0%"] for line in lines), proc.stdout
    ranking = lines[lines.index(next(l for l in lines if l.startswith("Five officers"))) + 1:]
    assert len(ranking) == 5 and ranking[0].split()[1] == "50.0%"


def test_bi_details_names_partial_period_and_scale(built):
    published = {(r["officer_id"], r["agency_code"], r["month"]): r
                 for r in rows(built, "select * from marts.kpi_officer_monthly", role="bi")}
    # The history starts Thu 12/2/2026 (S2's receipt). February 2026 has 20 weekdays, Tết takes
    # 16-20/2: 15 working days in the month, of which 12, 13, 23-27/2 = 7 are covered.
    c2 = published[("C2", "SKHDT", date(2026, 2, 1))]
    assert (c2["covered_from"], c2["is_partial_period"], c2["working_days"]) == (date(2026, 2, 12), True, 7)
    assert c2["cases_completed"] == 2 and c2["throughput_per_working_day"] == Decimal("0.2857")  # 2 / 7
    c7 = published[("C7", "SKHDT", date(2026, 3, 1))]
    assert (c7["covered_from"], c7["is_partial_period"], c7["working_days"]) == (date(2026, 3, 1), False, 22)
    agency_feb = rows(built, "select * from marts.kpi_agency_monthly where agency_code = 'SKHDT'"
                             " and month = '2026-02-01'", role="bi")[0]
    assert (agency_feb["is_partial_period"], agency_feb["working_days"], agency_feb["cases_received"]) == (True, 7, 2)
    # names: the agency's from the seed; officers' stay NULL until the staff topic is captured
    assert (c7["agency_name"], c7["officer_name"]) == ("Sở Kế hoạch và Đầu tư", None)
    names = {r["agency_code"]: r["agency_name"] for r in rows(
        built, "select distinct agency_code, agency_name from marts.kpi_agency_monthly", role="bi")}
    assert names == {"SKHDT": "Sở Kế hoạch và Đầu tư", "STP": "Sở Tư pháp", "SNV": "Sở Nội vụ", "SXD": "Sở Xây dựng"}
    # avg_rating's numerator is published, so every rate's exact fraction can be recomputed
    c10 = published[("C10", "SKHDT", date(2026, 3, 1))]
    assert (c10["ratings_sum"], c10["ratings_count"], str(c10["avg_rating"])) == (5, 1, "5.0000")
    # the published column types: 4 decimals, never numeric's 20
    types = {r["column_name"]: r["t"] for r in rows(
        built, "select a.attname as column_name, format_type(a.atttypid, a.atttypmod) as t from pg_attribute a"
               " where a.attrelid = 'marts.kpi_officer_monthly'::regclass and a.attnum > 0 and not a.attisdropped")}
    assert types["on_time_rate"] == "numeric(7,4)" and types["throughput_per_working_day"] == "numeric(12,4)"
    assert types["is_partial_period"] == "boolean" and types["covered_from"] == "date"
    # the configuration tables published beside the marts carry column comments, readable by BI
    for table in ("kpi_targets", "scorecard_weights", "procedure_sla_config", "agencies"):
        uncommented = rows(built, f"""select a.attname from pg_attribute a where a.attrelid = 'marts.{table}'::regclass
                                      and a.attnum > 0 and not a.attisdropped
                                      and col_description(a.attrelid, a.attnum) is null""", role="bi")
        assert uncommented == [], (table, uncommented)


def test_motcua_psql_reads_the_published_marts_as_bi(built):
    import subprocess
    import sys

    env = dict(os.environ, PGDATABASE=built)
    ok = subprocess.run([sys.executable, "-m", "motcua", "psql", "--role", "bi", "-Atc",
                         "select count(*) from marts.fct_cases"], capture_output=True, text=True, env=env, timeout=60)
    assert (ok.returncode, ok.stdout.strip()) == (0, "23"), ok.stderr       # the 23 cases of test_scenarios
    raw = subprocess.run([sys.executable, "-m", "motcua", "psql", "--role", "bi", "-c",
                          "select count(*) from raw.case_events"], capture_output=True, text=True, env=env, timeout=60)
    assert raw.returncode != 0 and "permission denied for schema raw" in raw.stderr


def test_avg_processing_working_days(built):
    """The registry's new KPI, by hand (480 working minutes = 1 day, waiting excluded)."""
    monthly = {(r["officer_id"], r["agency_code"], r["month"]): r
               for r in rows(built, f"select * from {BUILD_SCHEMA}.kpi_officer_monthly")}
    # C1 in March: S1 clock Mon 9/3 08:00 -> 16:50 = 240 + 230 = 470 min; S1b clock Mon 16/3 08:00
    # -> Tue 17/3 09:00 = 480 + 60 = 540 min. (470 + 540) / 480 = 2.1041666… days over 2 cases.
    c1 = monthly[("C1", "SKHDT", date(2026, 3, 1))]
    assert round(c1["processing_working_days"], 12) == round(Decimal(1010) / Decimal(480), 12)
    assert c1["avg_processing_working_days"] == Decimal("1.0521")   # 1010 / 960 = 1.052083…
    # H6: S6 Mon 2/3 09:00 -> Tue 10/3 10:00 = 420 + 4 x 480 + 480 + 120 = 2940 min, minus 960
    # waiting = 1980 min = 4.125 days.
    assert monthly[("H6", "SKHDT", date(2026, 3, 1))]["avg_processing_working_days"] == Decimal("4.1250")
    # H5: S5 Tue 28/4 09:00 -> Tue 5/5 13:00 across 30/4-1/5 = 420 + 480 + 480 + 240 = 1620 min,
    # minus 240 waiting = 1380 min = 2.875 days (credited in May, the completion month).
    assert monthly[("H5", "SKHDT", date(2026, 5, 1))]["avg_processing_working_days"] == Decimal("2.8750")
    # officers who completed nothing have no average (R7: receipts only)
    assert monthly[("R7", "SKHDT", date(2026, 3, 1))]["avg_processing_working_days"] is None
    # daily grain: C1 on Mon 9/3 = 470 / 480 = 0.979166…
    c1_day = rows(built, f"select avg_processing_working_days from {BUILD_SCHEMA}.kpi_officer_daily"
                         " where officer_id = 'C1' and activity_date = '2026-03-09'")
    assert [r["avg_processing_working_days"] for r in c1_day] == [Decimal("0.9792")]
    # agency SXD, June: X1 Mon 1/6 09:00 -> Tue 2/6 10:00 = 420 + 120 = 540; X2 -> Wed 3/6 08:00 =
    # 420 + 480 = 900; X3 -> Thu 4/6 10:00 = 420 + 960 + 120 = 1500. 2940 / 3 / 480 = 2.041666…
    sxd = rows(built, f"select avg_processing_working_days from {BUILD_SCHEMA}.kpi_agency_monthly"
                      " where agency_code = 'SXD' and month = '2026-06-01'")
    assert [r["avg_processing_working_days"] for r in sxd] == [Decimal("2.0417")]
