"""marts.open_cases_due_soon: working minutes left at the instant of the query, on the calendar.

One nightly build as of Friday 2026-08-14 12:00 (local), published; then BI's function is asked at
several instants. Office hours 08:00-12:00 and 13:00-17:00. The calendar seed (python-holidays)
has Saturday 22 August 2026 worked (make-up day) and Monday 31 August off in exchange, then
Tuesday 1 and Wednesday 2 September off (Quốc khánh). Hand-computed working minutes left:
  W1 due Mon 17 Aug 09:00, asked Fri 14 Aug 16:00: Fri 16-17 (60) + weekend (0) + Mon 08-09 (60)
     = 120; asked Fri 17:00: Mon 08-09 = 60.
  H1 due Thu 3 Sep 09:00, asked Fri 28 Aug 16:00: Fri 16-17 (60) + Sat, Sun, Mon 31 (swap day off),
     Tue 1, Wed 2 (holiday) (0) + Thu 08-09 (60) = 120.
  M1 due Mon 24 Aug 09:00, asked Fri 21 Aug 16:00: 60 + Sat 22 worked (480) + 60 = 600, beyond
     8 h (not listed), listed with a 10 h window.
  O1 due Thu 13 Aug 15:00, asked Fri 14 Aug 16:00: overdue by Thu 15-17 (120) + Fri 08-12 (240)
     + 13-16 (180) = 540: -540.
  P1 due Fri 14 Aug 17:00 but returned for supplementation on 12 Aug: waiting, not listed.
  B1 due Wed 26 Aug 09:00: beyond the window, not listed. C1 completed: not listed.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from expectations.suites.due_soon import missing_from_due_soon
from ingestion import db
from motcua import due_soon
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import assigned, completed, insert_events, received, returned, vn

AS_OF = "2026-08-14T12:00:00+07:00"


def rows(dbname: str, sql: str, params: tuple = (), role: str = "bi") -> list[tuple]:
    with db.connect(role, dbname) as conn:
        return conn.execute(sql, params).fetchall()


def due_soon_at(dbname: str, at: datetime) -> dict[str, tuple]:
    """case_id -> (working_minutes_left, is_overdue, officer_id), as BI reads it."""
    return {r[0]: (r[1], r[2], r[3]) for r in rows(
        dbname, "select case_id, working_minutes_left, is_overdue, officer_id "
                "from marts.open_cases_due_soon_at(%s)", (at,))}


@pytest.fixture(scope="module")
def published(module_db, dbt_target):
    insert_events(module_db, [
        received("W1", vn("2026-08-10 09:00"), vn("2026-08-17 09:00"), officer="R1", days=5),
        assigned("W1", vn("2026-08-10 10:00"), "X1", officer="R1"),
        received("H1", vn("2026-08-13 09:00"), vn("2026-09-03 09:00"), officer="R1", days=12),
        received("M1", vn("2026-08-13 09:00"), vn("2026-08-24 09:00"), officer="R1", days=7),
        received("O1", vn("2026-08-10 09:00"), vn("2026-08-13 15:00"), officer="R2", agency="SNV", days=3),
        received("P1", vn("2026-08-10 09:00"), vn("2026-08-14 17:00"), officer="R1", days=4),
        returned("P1", vn("2026-08-12 10:00"), officer="R1"),
        received("B1", vn("2026-08-13 09:00"), vn("2026-08-26 09:00"), officer="R1", days=8),
        received("C1", vn("2026-08-10 09:00"), vn("2026-08-14 10:00"), officer="R1", days=4),
        completed("C1", vn("2026-08-13 10:00"), officer="X1"),
    ], ingested_at=datetime.fromisoformat(AS_OF) - timedelta(hours=3))
    run_dbt(module_db, "build", target_path=dbt_target, as_of=AS_OF)
    as_of = datetime.fromisoformat(AS_OF)
    publish(PublishRequest(run_id="night-1", local_date=as_of.date() - timedelta(days=1),
                           interval_start=as_of - timedelta(days=1), interval_end=as_of),
            dbname=module_db, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
    return module_db


def test_weekend_overdue_waiting_and_beyond_window(published):
    got = due_soon_at(published, vn("2026-08-14 16:00"))
    assert got == {"W1": (Decimal("120.00"), False, "X1"), "O1": (Decimal("-540.00"), True, "R2")}
    assert due_soon_at(published, vn("2026-08-14 17:00"))["W1"] == (Decimal("60.00"), False, "X1")


def test_across_the_national_day_holiday(published):
    got = due_soon_at(published, vn("2026-08-28 16:00"))
    assert got["H1"] == (Decimal("120.00"), False, "R1")
    assert "P1" not in got


def test_summary_prints_each_agency_due_and_overdue(published, monkeypatch, capsys):
    # Fri 14 Aug 16:00: W1 (SKHDT) 120 min left, O1 (SNV) overdue; H1, M1, B1 beyond 8 h, P1 waiting.
    # Fri 28 Aug 16:00: H1 120 min left; W1 (17 Aug), M1 (24 Aug), B1 (26 Aug) and O1 overdue.
    monkeypatch.setenv("PGDATABASE", published)
    assert due_soon.main(["summary", "--at", "2026-08-14T16:00:00+07:00"]) == 0
    assert due_soon.main(["summary", "--at", "2026-08-28T16:00:00+07:00"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Due soon (cảnh báo sắp trễ hạn) at 2026-08-14 16:00: open cases per agency due within the window / overdue",
        "  SKHDT    due within 8 working hours:     1   overdue:     0",
        "  SNV      due within 8 working hours:     0   overdue:     1",
        "Due soon (cảnh báo sắp trễ hạn) at 2026-08-28 16:00: open cases per agency due within the window / overdue",
        "  SKHDT    due within 8 working hours:     1   overdue:     3",
        "  SNV      due within 8 working hours:     0   overdue:     1",
    ]


def test_summary_lines_of_a_hand_built_table():
    at = vn("2026-03-02 08:00")
    found = [due_soon.Digest("STNMT", due_count=0, overdue_count=12), due_soon.Digest("SKHDT", due_count=3)]
    assert due_soon.summary_lines(found, at)[1:] == [
        "  SKHDT    due within 8 working hours:     3   overdue:     0",
        "  STNMT    due within 8 working hours:     0   overdue:    12"]
    assert due_soon.summary_lines([], at)[1:] == ["  (none: no open case is due within the window or overdue)"]


def test_window_is_configuration(published):
    # the seed's 8 h applies: nothing is due soon (M1 has 600 min left across the worked Saturday) ...
    assert rows(published, "select case_id, window_working_hours from marts.open_cases_due_soon_at(%s) "
                "where not is_overdue", (vn("2026-08-21 16:00"),)) == []
    # ... a 10 h window lists it (B1, due Wed 26 Aug 09:00, has 60 + 480 + 480 + 60 = 1080)
    wide = {r[0]: r[1] for r in rows(published, "select case_id, working_minutes_left "
                                                "from marts.open_cases_due_soon_at(%s, 10) where not is_overdue",
                                     (vn("2026-08-21 16:00"),))}
    assert wide == {"M1": Decimal("600.00")}


def test_bi_view_reads_marts_only(published):
    # now (the real clock) is after every deadline of the scenario: all four running cases are overdue
    got = rows(published, "select case_id, is_overdue from marts.open_cases_due_soon order by case_id")
    assert got == [("B1", True), ("H1", True), ("M1", True), ("O1", True), ("W1", True)]
    # BI cannot read the layers behind it
    with db.connect("bi", published) as conn:
        assert not conn.execute("select has_schema_privilege('intermediate', 'usage')").fetchone()[0]
        assert not conn.execute("select has_schema_privilege('raw', 'usage')").fetchone()[0]


def test_gate_check_every_open_case_is_accounted_for(published, dbt_target):
    check = missing_from_due_soon(f"{BUILD_SCHEMA}.fct_cases", f"{BUILD_SCHEMA}.fct_due_soon_open_cases",
                                  f"{BUILD_SCHEMA}.dim_working_calendar", 8, f"timestamptz '{AS_OF}'")
    assert rows(published, check, role="gate") == []
    with db.connect("transform", published) as conn:
        conn.execute(f"delete from {BUILD_SCHEMA}.fct_due_soon_open_cases where case_id in ('W1', 'B1')")
        conn.commit()
    try:
        # W1 is due within 8 working hours of the build (Fri 12:00 -> Mon 09:00 = 300 min): missing;
        # B1 is provably not due within the window: not reported
        assert rows(published, check, role="gate") == [("W1", "SKHDT", vn("2026-08-17 09:00"), "missing")]
    finally:
        run_dbt(published, "build", "--select", "fct_due_soon_open_cases", target_path=dbt_target, as_of=AS_OF)


def test_intraday_refresh(published):
    # after the build: W1 completed at 13:00; N1 received at 14:00 due 16:30, assigned to X9; N2 received
    # and returned (waiting); H1 reassigned to X7
    insert_events(published, [
        completed("W1", vn("2026-08-14 13:00"), officer="X1"),
        received("N1", vn("2026-08-14 14:00"), vn("2026-08-14 16:30"), officer="R1", days=0.5),
        assigned("N1", vn("2026-08-14 14:10"), "X9", officer="R1"),
        received("N2", vn("2026-08-14 14:00"), vn("2026-08-14 16:30"), officer="R1", days=0.5),
        returned("N2", vn("2026-08-14 14:30"), officer="R1"),
        assigned("H1", vn("2026-08-14 14:20"), "X7", officer="R1"),
    ])
    at = vn("2026-08-14 16:00")
    with db.connect("transform", published) as conn:
        assert due_soon.refresh(conn, at) == {"removed": 1, "added": 1, "reassigned": 1}
        assert due_soon.refresh(conn, at) == {"removed": 0, "added": 0, "reassigned": 0}   # idempotent
        assert conn.execute("select officer_id from marts.fct_due_soon_open_cases where case_id = 'H1'").fetchone() == ("X7",)
    assert due_soon_at(published, at) == {"N1": (Decimal("30.00"), False, "X9"),
                                          "O1": (Decimal("-540.00"), True, "R2")}
