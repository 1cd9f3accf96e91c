"""lineage eval_case_membership is incremental by officer-month: an incremental run recomputes
exactly the officer-months eval_membership_touched lists, and its table equals a full refresh.

Positions from 1 January 2026 (recorded that day): SKHDT unit U1 = leader L1, P1, P2 (processing);
SKHDT unit U2 = P3 (processing); SNV unit V = P9 (processing). Cases (received 09:00, completed
10:00 the same day, or the next day when late), loaded on 9 March 20:00 except K9 (10 March 20:00,
within the next night's look-back of the watermark):
  K1 SKHDT P1, Mon 12 Jan;  K2 SNV P9, Mon 12 Jan, late;  K3 SKHDT P2, Mon 2 Feb, late;
  K4 SKHDT P3, Tue 3 Feb;   K9 SNV P9, Mon 2 Mar.
Night 1 as of Tue 10 March 23:30 (a first build). Night 2 as of Wed 11 March 23:30, loaded:
  - an exemption (lateness) for K3: SKHDT's February counts it on time for the evaluation, so
    every SKHDT officer-month of February is recomputed (L1's rows hold the unit's cases);
  - P3 re-positioned into U1 from 1 January (recorded 11 March): P3's unit and U1's officers
    change in January, February and March, so L1's and P3's months are recomputed.
  - K9 is read again (look-back): SNV March, P9.
SNV January (K2, P9) is not recomputed.
"""
from __future__ import annotations

from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import insert_events, vn
from tests.dbt.incremental_check import differences, rows, save_copy
from tests.dbt.staff_events import case, exemption, insert_staff_events, positioned

NIGHTLY = ("build", "--resource-type", "seed", "--resource-type", "model")
TABLE = f"{BUILD_SCHEMA}.eval_case_membership"
NIGHT1, NIGHT2 = "2026-03-10T23:30:00+07:00", "2026-03-11T23:30:00+07:00"
JAN1 = vn("2026-01-01 08:00")


def touched(dbname: str) -> set[tuple[str, str]]:
    return set(rows(dbname, "select officer_id, period from lineage.eval_membership_touched"))


def test_incremental_recomputes_the_touched_officer_months_and_equals_a_full_refresh(module_db, dbt_target):
    insert_staff_events(module_db, [
        positioned("L1", "SKHDT", "U1", "leadership", "2026-01-01", at=JAN1),
        positioned("P1", "SKHDT", "U1", "processing", "2026-01-01", at=JAN1),
        positioned("P2", "SKHDT", "U1", "processing", "2026-01-01", at=JAN1),
        positioned("P3", "SKHDT", "U2", "processing", "2026-01-01", at=JAN1),
        positioned("P9", "SNV", "V", "processing", "2026-01-01", at=JAN1),
    ])
    insert_events(module_db, case("K1", "2026-01-12", "P1", "P1") + case("K2", "2026-01-12", "P9", "P9", agency="SNV", late=True)
                  + case("K3", "2026-02-02", "P2", "P2", late=True) + case("K4", "2026-02-03", "P3", "P3"),
                  ingested_at=vn("2026-03-09 20:00"))
    insert_events(module_db, case("K9", "2026-03-02", "P9", "P9", agency="SNV"), ingested_at=vn("2026-03-10 20:00"))
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=NIGHT1)
    assert touched(module_db) == set()
    on_time = (f"select officer_id, counted_in_numerator, exemption_decision_ref from {TABLE}"
               " where case_id = 'K3' and kpi_code = 'on_time_rate' order by officer_id")
    assert rows(module_db, on_time) == [("L1", False, None), ("P2", False, None)]
    snv_january = rows(module_db, f"select * from {TABLE} where period = '2026-01' and officer_id = 'P9' order by 1, 2, 3, 4, 5")

    insert_staff_events(module_db, [
        exemption("K3", "lateness", "QD-7", vn("2026-03-11 09:00")),
        positioned("P3", "SKHDT", "U1", "processing", "2026-01-01", at=vn("2026-03-11 10:00")),
    ])
    run_dbt(module_db, *NIGHTLY, target_path=dbt_target, as_of=NIGHT2)
    assert touched(module_db) == {
        ("L1", "2026-01"), ("L1", "2026-02"), ("L1", "2026-03"),
        ("P3", "2026-01"), ("P3", "2026-02"), ("P3", "2026-03"),
        ("P1", "2026-02"), ("P2", "2026-02"),
        ("P9", "2026-03"),
    }
    assert rows(module_db, on_time) == [("L1", True, "QD-7"), ("P2", True, "QD-7")]
    # the leader's unit now holds P3: K4 counts in L1's February
    assert rows(module_db, f"select count(*) from {TABLE} where officer_id = 'L1' and case_id = 'K4'")[0][0] > 0
    assert rows(module_db, f"select * from {TABLE} where period = '2026-01' and officer_id = 'P9'"
                           " order by 1, 2, 3, 4, 5") == snv_january

    saved = f"{BUILD_SCHEMA}.eval_membership_incremental_saved"
    save_copy(module_db, TABLE, saved)
    run_dbt(module_db, *NIGHTLY, "--full-refresh", target_path=dbt_target, as_of=NIGHT2)
    assert touched(module_db) == set()
    # (rows only the incremental run built, rows only the full refresh built)
    assert differences(module_db, saved, TABLE) == (0, 0)
