"""fairness_officer_monthly is incremental by agency-month: an incremental run recomputes exactly the
agency-months int_fairness_months_touched lists, and its table equals a full refresh.

Night 1 (as of Tue 10 March 2026; J1 and J2 loaded on 9 March, F1 and F2 on 10 March), every
officer positioned from 1 January (H1, H2 processing; R1, R2 reception; T1, T2 at STP):
  J1  SKHDT, received by R1 Mon 12 Jan 09:00, completed by H1 Tue 13 Jan (on time);
  J2  STP, received by T1 Mon 12 Jan, completed by T2 Tue 13 Jan;
  F1  SKHDT, received by R1 Mon 2 Feb 09:00, 5 working days (due Fri 6 Feb 17:00), returned by H1
      Thu 5 Feb 16:00: 540 of 2340 working minutes left (0.2308), not flagged, attributed to H1,
      Feb; resubmitted Mon 9 Feb 09:00;
  F2  SKHDT, received by R2 Tue 3 Feb, completed by H2 Wed 4 Feb.
Night 2 (as of Wed 11 March), loaded late:
  F1  a second return, by H2 on Mon 2 March 09:00, past the deadline (moved by the wait, under
      either policy, to mid-February): it now speaks for the case (flagged, attributed to H2,
      March), so H1's February row, whose only activity it was, disappears;
  H1  re-positioned from 1 January as leadership (recorded 11 March): SKHDT's January group
      medians change although no case of January arrived.
Expected touched agency-months: SKHDT 2026-01 (H1's group), 2026-02 and 2026-03 (F1's events);
STP 2026-01 is not recomputed. Night 3: the recorded configuration fingerprint is gone (as after
a change of fairness_thresholds.csv or procedure_complexity.csv): every agency-month is recomputed.
"""
from __future__ import annotations

from datetime import date

from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import completed, insert_events, received, resubmitted, returned, vn
from tests.dbt.incremental_check import differences, execute, rows, save_copy
from tests.dbt.staff_events import insert_staff_events, positioned

NIGHTLY = ("build", "--resource-type", "seed", "--resource-type", "model")
TABLE = f"{BUILD_SCHEMA}.fairness_officer_monthly"
NIGHT1, NIGHT2 = "2026-03-10T23:30:00+07:00", "2026-03-11T23:30:00+07:00"


def touched(dbname: str) -> set[tuple[str, date]]:
    return set(rows(dbname, "select agency_code, month from intermediate.int_fairness_months_touched"))


def test_incremental_recomputes_the_touched_agency_months_and_equals_a_full_refresh(module_db, dbt_target):
    staff = [positioned(o, "SKHDT", "MOTCUA", g, "2026-01-01", at=vn("2026-01-01 08:00"))
             for o, g in (("H1", "processing"), ("H2", "processing"), ("R1", "reception"), ("R2", "reception"))]
    staff += [positioned(o, "STP", "MOTCUA", g, "2026-01-01", at=vn("2026-01-01 08:00"))
              for o, g in (("T1", "reception"), ("T2", "processing"))]
    insert_staff_events(module_db, staff)
    insert_events(module_db, [
        received("J1", vn("2026-01-12 09:00"), vn("2026-01-14 17:00"), officer="R1"),
        completed("J1", vn("2026-01-13 10:00"), officer="H1"),
        received("J2", vn("2026-01-12 09:00"), vn("2026-01-14 17:00"), officer="T1", agency="STP"),
        completed("J2", vn("2026-01-13 10:00"), officer="T2", agency="STP"),
    ], ingested_at=vn("2026-03-09 20:00"))
    # (loaded the evening before the night 1 ones: out of night 2's look-back of the watermark)
    insert_events(module_db, [
        received("F1", vn("2026-02-02 09:00"), vn("2026-02-06 17:00"), officer="R1", days=5),
        returned("F1", vn("2026-02-05 16:00"), officer="H1"),
        resubmitted("F1", vn("2026-02-09 09:00")),
        received("F2", vn("2026-02-03 09:00"), vn("2026-02-05 17:00"), officer="R2"),
        completed("F2", vn("2026-02-04 10:00"), officer="H2"),
    ], ingested_at=vn("2026-03-10 20:00"))
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=NIGHT1)
    assert touched(module_db) == set()          # a first build rebuilds everything
    assert rows(module_db, f"select return_near_deadline_checked, return_near_deadline_count from {TABLE}"
                           " where officer_id = 'H1' and month = '2026-02-01'") == [(1, 0)]
    stp_before = rows(module_db, f"select * from {TABLE} where agency_code = 'STP'")

    insert_events(module_db, [returned("F1", vn("2026-03-02 09:00"), officer="H2")],
                  ingested_at=vn("2026-03-11 20:00"))
    insert_staff_events(module_db, [positioned("H1", "SKHDT", "MOTCUA", "leadership", "2026-01-01",
                                               at=vn("2026-03-11 09:00"))])
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=NIGHT2)
    assert touched(module_db) == {("SKHDT", date(2026, 1, 1)), ("SKHDT", date(2026, 2, 1)),
                                  ("SKHDT", date(2026, 3, 1))}
    # H1 has no February row any more; H2's March row holds the return (and the repeated return)
    assert rows(module_db, f"select officer_id, month, position_group, return_near_deadline_checked,"
                           f" return_near_deadline_count from {TABLE} where agency_code = 'SKHDT'"
                           " and (officer_id = 'H1' or month = '2026-03-01') order by month, officer_id") == [
        ("H1", date(2026, 1, 1), "leadership", 0, 0),
        ("H2", date(2026, 3, 1), "processing", 1, 1),
    ]
    assert rows(module_db, f"select * from {TABLE} where agency_code = 'STP'") == stp_before

    saved = f"{BUILD_SCHEMA}.fairness_incremental_saved"
    save_copy(module_db, TABLE, saved)
    run_dbt(module_db, *NIGHTLY, "--full-refresh", target_path=dbt_target, as_of=NIGHT2)
    assert touched(module_db) == set()
    assert differences(module_db, TABLE, saved) == (0, 0)

    # night 3: no recorded configuration (as after a threshold or weight change): every month
    execute(module_db, f"delete from {BUILD_SCHEMA}.fairness_config_fingerprint")
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=NIGHT2)
    assert touched(module_db) == {("SKHDT", date(2026, 1, 1)), ("SKHDT", date(2026, 2, 1)),
                                  ("SKHDT", date(2026, 3, 1)), ("STP", date(2026, 1, 1))}
    assert differences(module_db, TABLE, saved) == (0, 0)
    assert rows(module_db, f"select count(*) from {BUILD_SCHEMA}.fairness_config_fingerprint") == [(1,)]
