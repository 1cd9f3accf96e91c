"""`motcua audit trace --verify` on the states of open cases (agency SXD, April and May 2026).

The build's as-of is Wed 6/5/2026 00:00 (+07): April's states are taken at its end (1/5 00:00),
May's at the as-of (the current month). Office hours 08-12, 13-17; holidays Mon 27/4 (Hùng Kings,
in lieu), Thu 30/4, Fri 1/5 (docs/domain/sla-clock.md for each deadline):
- M: received Mon 16/3 09:00 (3 days, due Thu 19/3 09:00), nothing since: overdue in April and May
  (it has no event in April: only a search of the agency's open receipts finds it);
- O: received Mon 20/4 09:00 (3 days, due Thu 23/4 09:00), returned Tue 21/4 09:00, resubmitted Fri
  24/4 09:00 (3 working days waiting, paused): effective deadline Thu 23/4 09:00 + 3 working days
  = Wed 29/4 09:00 (Mon 27/4 is a holiday): overdue at April's end;
- A: received Wed 22/4 09:00 (3 days, due Tue 28/4 09:00), returned Thu 23/4 10:00, never
  resubmitted: waiting for the applicant in April and May;
- W: received Tue 28/4 09:00 (2 days: Wed 29/4, then Mon 4/5 09:00 across the holidays and the
  weekend): within its deadline at April's end (a calendar-day count would say overdue), overdue
  at May's as-of;
- K: received Mon 6/4 09:00, completed Tue 7/4 10:00: closed, no state;
- C: received Mon 4/5 09:00 (1 day, due Tue 5/5 09:00): overdue at the as-of;
- D: received Tue 5/5 09:00 (2 days, due Thu 7/5 09:00): within its deadline at the as-of 6/5
  00:00 (at May's end it would be overdue).
April: within 1 (W), overdue 2 (M, O), waiting 1 (A). May: within 1 (D), overdue 4 (M, O, W, C), waiting 1 (A).
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator

import pytest

from ingestion import db
from publish.recompute import ClockConfig, Event, open_state, snapshot_instant
from tests.dbt.events import completed, insert_events, received, resubmitted, returned, vn
from tests.dbt.test_audit_trace import build_and_publish, read_csv, trace

AS_OF = "2026-05-06T00:00:00+07:00"
APRIL_END, MAY_AS_OF = "2026-05-01T00:00:00+07:00", "2026-05-06T00:00:00+07:00"


def cell(month: str, measure: str) -> list[str]:
    return ["--table", "kpi_agency_monthly", "--key", "agency_code=SXD", "--key", f"month={month}", "--measure", measure]


def events() -> list:
    at = {"agency": "SXD"}
    return [
        received("M", vn("2026-03-16 09:00"), vn("2026-03-19 09:00"), days=3, **at),
        received("O", vn("2026-04-20 09:00"), vn("2026-04-23 09:00"), days=3, **at),
        returned("O", vn("2026-04-21 09:00"), **at),
        resubmitted("O", vn("2026-04-24 09:00"), **at),
        received("A", vn("2026-04-22 09:00"), vn("2026-04-28 09:00"), days=3, **at),
        returned("A", vn("2026-04-23 10:00"), **at),
        received("W", vn("2026-04-28 09:00"), vn("2026-05-04 09:00"), days=2, **at),
        received("K", vn("2026-04-06 09:00"), vn("2026-04-08 09:00"), days=2, **at),
        completed("K", vn("2026-04-07 10:00"), **at),
        received("C", vn("2026-05-04 09:00"), vn("2026-05-05 09:00"), days=1, **at),
        received("D", vn("2026-05-05 09:00"), vn("2026-05-07 09:00"), days=2, **at),
    ]


EVENTS = events()


@pytest.fixture(scope="module")
def published(module_db, dbt_target):
    insert_events(module_db, EVENTS)
    build_and_publish(module_db, dbt_target, "night-1", date(2026, 5, 5), as_of=AS_OF)
    return module_db


def verify(dbname: str, args: list[str], out: Path):
    done = trace(dbname, *args, "--verify", "--out", str(out))
    cases = {r["case_id"]: (r["agrees"], r["differences"]) for r in read_csv(out / "verification.csv")}
    return done, cases


@contextmanager
def tampered(dbname: str, *changes: tuple[str, str]) -> Iterator[None]:
    """Change published rows as the role that owns them ((change, restore) pairs), restored afterwards."""
    with db.connect("transform", dbname) as conn:
        for change, _ in changes:
            assert conn.execute(change).rowcount == 1, change
        conn.commit()
    try:
        yield
    finally:
        with db.connect("transform", dbname) as conn:
            for _, restore in changes:
                assert conn.execute(restore).rowcount == 1, restore
            conn.commit()


def test_the_state_at_an_instant_comes_from_the_events_before_it():
    config = ClockConfig.from_project()
    by_case: dict[str, list[Event]] = {}
    for event in EVENTS:
        by_case.setdefault(event.case_id, []).append(Event.from_payload(event.payload()))
    as_of = datetime.fromisoformat(AS_OF)
    april_end, may_end = snapshot_instant(date(2026, 4, 1), as_of), vn("2026-06-01 00:00")
    assert april_end == vn("2026-05-01 00:00") and snapshot_instant(date(2026, 5, 1), as_of) == as_of
    assert snapshot_instant(date(2026, 6, 1), as_of) is None
    state = lambda case, at: open_state(case, by_case[case], config, at)  # noqa: E731
    assert [state(c, april_end) for c in "MOAWKCD"] == [
        "open_overdue", "open_overdue", "waiting_for_applicant", "open_within_deadline", None, None, None]
    assert [state(c, as_of) for c in "MOAWKCD"] == [
        "open_overdue", "open_overdue", "waiting_for_applicant", "open_overdue", None, "open_overdue",
        "open_within_deadline"]
    assert state("D", may_end) == "open_overdue"          # a month-end snapshot would call D overdue
    # O waits until its resubmission at Fri 24/4 09:00 (the instant itself still waits), then is
    # within its moved deadline (Wed 29/4 09:00) until that instant, overdue after it
    assert state("O", vn("2026-04-24 09:00")) == "waiting_for_applicant"
    assert state("O", vn("2026-04-29 09:00")) == "open_within_deadline"
    assert state("O", vn("2026-04-29 09:00") + timedelta(microseconds=1)) == "open_overdue"
    # K is open at its completion instant, closed just after; M not yet received at its receipt instant
    assert state("K", vn("2026-04-07 10:00")) == "open_within_deadline"
    assert state("K", vn("2026-04-07 10:00") + timedelta(microseconds=1)) is None
    assert state("M", vn("2026-03-16 09:00")) is None


def test_month_end_states_agree_with_the_hand_computed_ones(published, tmp_path):
    expected = {"open_within_deadline": ("1", {"W"}), "open_overdue": ("2", {"M", "O"}),
                "waiting_for_applicant": ("1", {"A"})}
    for measure, (count, cases) in expected.items():
        done, rows = verify(published, cell("2026-04", measure), tmp_path / measure)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"verify: AGREE: recomputed {count}, published {count}; {len(cases)}/{len(cases)} cases agree" in done.stdout
        assert set(rows) == cases and all(agrees == "True" for agrees, _ in rows.values())
        assert f"note: {measure}: states of open cases recomputed at {APRIL_END} (the month end)" in done.stdout
        assert f"note: build as-of {AS_OF} (recorded by publication 1's dbt build" in done.stdout


def test_current_month_states_are_taken_at_the_build_as_of(published, tmp_path):
    expected = {"open_within_deadline": ("1", {"D"}), "open_overdue": ("4", {"M", "O", "W", "C"}),
                "waiting_for_applicant": ("1", {"A"})}
    for measure, (count, cases) in expected.items():
        done, rows = verify(published, cell("2026-05", measure), tmp_path / measure)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"verify: AGREE: recomputed {count}, published {count}" in done.stdout
        assert set(rows) == cases
        assert f"states of open cases recomputed at {MAY_AS_OF} (the build as-of, inside the month)" in done.stdout
    # progress_index_766 = (completed on time + within) / (completed + within + overdue + waiting) = 1/6
    done, _ = verify(published, cell("2026-05", "progress_index_766"), tmp_path / "766")
    assert done.returncode == 0 and "verify: AGREE: recomputed 0.1667, published 0.1667" in done.stdout


def test_a_tampered_state_is_named_with_the_recomputed_one(published, tmp_path):
    # O moved from overdue to within its deadline, in its membership row and in both counts
    april = "agency_code = 'SXD' and month = '2026-04-01'"
    with tampered(published,
                  (f"update lineage.kpi_case_membership set measure = 'open_within_deadline'"
                   f" where case_id = 'O' and measure = 'open_overdue' and {april}",
                   f"update lineage.kpi_case_membership set measure = 'open_overdue'"
                   f" where case_id = 'O' and measure = 'open_within_deadline' and {april}"),
                  (f"update marts.kpi_agency_monthly set open_overdue = 1, open_within_deadline = 2 where {april}",
                   f"update marts.kpi_agency_monthly set open_overdue = 2, open_within_deadline = 1 where {april}")):
        done, rows = verify(published, cell("2026-04", "open_overdue"), tmp_path / "o")
        assert done.returncode == 1, done.stdout + done.stderr
        assert (f"DISAGREE case O: state at {APRIL_END}: published open_within_deadline, recomputed open_overdue"
                in done.stdout)
        assert "verify: DISAGREE: recomputed 2, published 1; 1/2 cases agree" in done.stdout
        assert rows["M"][0] == "True" and rows["O"][0] == "False"

    # M left out of May's membership (it has no event in the month): still found and named
    may = "case_id = 'M' and agency_code = 'SXD' and month = '2026-05-01'"
    with tampered(published, (f"update lineage.kpi_case_membership set month = '2026-06-01' where {may}",
                              "update lineage.kpi_case_membership set month = '2026-05-01'"
                              " where case_id = 'M' and agency_code = 'SXD' and month = '2026-06-01'")):
        done, rows = verify(published, cell("2026-05", "open_overdue"), tmp_path / "m")
        assert done.returncode == 1
        assert f"DISAGREE case M: state at {MAY_AS_OF}: published not open, recomputed open_overdue" in done.stdout
        assert "verify: DISAGREE: recomputed 4, published 4; 3/4 cases agree" in done.stdout
