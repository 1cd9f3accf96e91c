"""Gaming flags, case mix and honest intervals (docs/domain/fairness-and-early-warning.md), on
hand-written events and one dbt build. All local times are Asia/Ho_Chi_Minh; March 2026 has no
holiday, office hours 08:00-12:00 and 13:00-17:00 (480 working minutes a day).

Flags (agency SKHDT): cases received Monday 2 March 08:00, due Friday 6 March 17:00, have an
allowance of 5 working days = 2400 working minutes; cases due Wednesday 4 March 09:00 have
480 + 480 + 60 = 1020.
Case mix (agency STP, procedures EASY and HARD, completions in March): P completes 4 HARD cases,
2 on time; Q completes 4 EASY cases, 2 on time (both 0.5); O completes 4 HARD cases (none on time)
and 4 EASY cases (all on time). The agency's on-time rate is HARD 2/8 = 0.25, EASY 6/8 = 0.75.
Intervals (agency SNV): W receives and completes 10 cases, 9 on time, 1 returned once.
"""
from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ingestion import db
from ingestion.settings import PROJECT_ROOT
from publish import PublishConfig, PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, dbt_env, run_dbt
from tests.dbt.events import (
    assigned, completed, extended, insert_events, received, resubmitted, returned, vn, withdrawn,
)

AS_OF = "2026-04-01T00:00:00+07:00"
MON, FRI_DUE, WED_DUE = vn("2026-03-02 08:00"), vn("2026-03-06 17:00"), vn("2026-03-04 09:00")
D = Decimal


def rows(dbname: str, sql: str) -> list[tuple]:
    with db.connect("transform", dbname) as conn:
        return conn.execute(sql).fetchall()


def flag_events() -> list:
    five_days = dict(days=5, officer="R")
    two_days = dict(days=2, officer="R")
    ev = [
        # F1: return with exactly 480 of 2400 minutes left (Thursday 17:00) -> share 0.2000, not flagged
        received("F1", MON, FRI_DUE, **five_days), returned("F1", vn("2026-03-05 17:00"), officer="A"),
        # F2: one minute later in working time (Friday 08:01): 479/2400 = 0.19958 -> 0.1996, flagged
        received("F2", MON, FRI_DUE, **five_days), returned("F2", vn("2026-03-06 08:01"), officer="A"),
        # F3: return one minute after the deadline (Wed 09:01): share 0, 1 working minute past, flagged
        received("F3", MON, WED_DUE, **two_days), returned("F3", vn("2026-03-04 09:01"), officer="B"),
        # F4: the applicant withdraws Friday 09:00: 420/2400 = 0.175 left, flagged; no officer on
        # the event -> the case's handling officer (last assignee A)
        received("F4", MON, FRI_DUE, **five_days), assigned("F4", vn("2026-03-02 09:00"), "A", officer="R"),
        withdrawn("F4", vn("2026-03-06 09:00")),
        # F5: extension 30 minutes after the deadline -> flagged, 30 working minutes past
        received("F5", MON, WED_DUE, **two_days), extended("F5", vn("2026-03-04 09:30"), vn("2026-03-06 17:00"), officer="B"),
        # F6: extension exactly at the deadline -> not after it, 0 minutes past
        received("F6", MON, WED_DUE, **two_days), extended("F6", vn("2026-03-04 09:00"), vn("2026-03-06 17:00"), officer="B"),
        # F7: returned Monday 10:00 (A), resubmitted 14:00, returned again Tuesday 10:00 (B).
        # The first wait (10-12 + 13-14 = 180 min) moved the deadline to 2400 + 180; at the second
        # return 480 + 120 = 600 minutes had elapsed: 1980 left / 2400 = 0.825 (the nearest return,
        # not flagged); the first had 2280 / 2400 = 0.95. repeated_return: B, 3 March.
        received("F7", MON, FRI_DUE, **five_days), returned("F7", vn("2026-03-02 10:00"), officer="A"),
        resubmitted("F7", vn("2026-03-02 14:00")), returned("F7", vn("2026-03-03 10:00"), officer="B"),
        # F10: an early return by B: 2400 - 60 = 2340 left -> 0.975
        received("F10", MON, FRI_DUE, **five_days), returned("F10", vn("2026-03-02 09:00"), officer="B"),
    ]
    # late_recorded: occurred Monday 09:00; recorded Tuesday 09:30 = 420 (Mon 09-12, 13-17) + 90
    # = 510 working minutes > 480 -> flagged, 24.5 hours; F9 recorded Tuesday 09:00 = 480 exactly
    # (not more than one working day) -> not flagged, 24.0 hours
    f8 = received("F8", vn("2026-03-02 09:00"), FRI_DUE, **five_days)
    f8.kafka_timestamp = vn("2026-03-03 09:30")
    f9 = received("F9", vn("2026-03-02 09:00"), FRI_DUE, **five_days)
    f9.kafka_timestamp = vn("2026-03-03 09:00")
    return ev + [f8, f9]


def case_mix_events() -> list:
    ev = []
    received_at, due = vn("2026-03-09 08:00"), vn("2026-03-11 17:00")
    on_time_at, late_at = vn("2026-03-10 10:00"), vn("2026-03-12 10:00")

    def cases(prefix: str, officer: str, procedure: str, on_time: int, late: int) -> None:
        for i in range(on_time + late):
            case = f"{prefix}{i}"
            ev.append(received(case, received_at, due, officer="RS", agency="STP", procedure=procedure, days=3))
            ev.append(completed(case, on_time_at if i < on_time else late_at, officer=officer, agency="STP"))

    cases("PH", "P", "HARD", 2, 2)
    cases("QE", "Q", "EASY", 2, 2)
    cases("OH", "O", "HARD", 0, 4)
    cases("OE", "O", "EASY", 4, 0)
    for i in range(10):   # W at SNV: 9 of 10 on time; W1 returned once (and resubmitted), still early
        case = f"W{i}"
        ev.append(received(case, received_at, due, officer="W", agency="SNV", procedure="EASY", days=3))
        if i == 1:
            ev.append(returned(case, vn("2026-03-09 09:00"), officer="W", agency="SNV"))
            ev.append(resubmitted(case, vn("2026-03-09 10:00"), agency="SNV"))
        ev.append(completed(case, late_at if i == 0 else on_time_at, officer="W", agency="SNV"))
    return ev


@pytest.fixture(scope="module")
def built(module_db, dbt_target):
    insert_events(module_db, flag_events() + case_mix_events(),
                  ingested_at=datetime.now(timezone.utc) - timedelta(days=1))
    run_dbt(module_db, "build", target_path=dbt_target, as_of=AS_OF)
    return module_db


def test_flags_and_their_boundaries(built):
    got = {r[0]: r[1:] for r in rows(built, f"""
        select case_id, return_near_deadline, return_share_left, return_working_minutes_past_deadline,
               return_officer_id, return_date::text
        from {BUILD_SCHEMA}.fct_case_flags where return_near_deadline is not null""")}
    assert got == {
        "F1": (False, D("0.2000"), D("0.00"), "A", "2026-03-05"),
        "F2": (True, D("0.1996"), D("0.00"), "A", "2026-03-06"),
        "F3": (True, D("0.0000"), D("1.00"), "B", "2026-03-04"),
        "F7": (False, D("0.8250"), D("0.00"), "B", "2026-03-03"),
        "F10": (False, D("0.9750"), D("0.00"), "B", "2026-03-02"),
        # allowance Mon 9 March 08:00 -> Wed 11 March 17:00 = 1440; returned at 09:00: 1380/1440
        "W1": (False, D("0.9583"), D("0.00"), "W", "2026-03-09"),
    }
    others = {r[0]: r[1:] for r in rows(built, f"""
        select case_id, withdrawal_near_deadline, withdrawal_share_left, withdrawal_officer_id,
               extension_after_deadline, extension_working_minutes_past_deadline, extension_officer_id,
               repeated_return, return_count, repeated_return_officer_id, repeated_return_date::text,
               late_recorded, late_recorded_hours, late_recorded_working_minutes, late_recorded_officer_id,
               flag_count
        from {BUILD_SCHEMA}.fct_case_flags where case_id like 'F%'""")}
    # F4: only the withdrawal applies (no return, no extension, no Kafka timestamp)
    assert others["F4"] == (True, D("0.1750"), "A", None, None, None, None, 0, None, None,
                            None, None, None, None, 1)
    assert others["F5"][3:6] == (True, D("30.00"), "B") and others["F5"][-1] == 1
    assert others["F6"][3:6] == (False, D("0.00"), "B") and others["F6"][-1] == 0
    assert others["F7"][6:10] == (True, 2, "B", "2026-03-03") and others["F7"][-1] == 1
    assert others["F1"][6:10] == (False, 1, "A", "2026-03-05")       # one return: checked, not repeated
    assert others["F8"][10:] == (True, D("24.50"), D("510.00"), "R", 1)
    assert others["F9"][10:] == (False, D("24.00"), D("480.00"), "R", 0)
    assert others["F1"][10] is None                                   # no Kafka timestamp: not checked


def officer_month(dbname: str, columns: str, agency: str) -> dict:
    return {r[0]: r[1:] for r in rows(dbname, f"""
        select officer_id, {columns} from {BUILD_SCHEMA}.fairness_officer_monthly
        where agency_code = '{agency}' and month = '2026-03-01' order by officer_id""")}


def test_flag_rates_beside_the_group_median(built):
    got = officer_month(built, """position_group, return_near_deadline_count, return_near_deadline_checked,
        return_near_deadline_rate, return_near_deadline_group_median, return_near_deadline_rate_minus_median,
        repeated_return_rate, repeated_return_group_median, repeated_return_rate_minus_median""", "SKHDT")
    # return_near_deadline: A checked F1, F2 (F2 flagged) = 1/2; B checked F3 (flagged), F7, F10 = 1/3.
    # median (0.5 + 0.33333) / 2 = 0.416667 -> 0.4167; A 0.5 - 0.416667 = 0.0833, B -0.0833.
    # repeated_return: A (F1, F2 first returns) 0/2; B (F3, F10 first, F7 second) 1/3;
    # median 0.166667 -> 0.1667. R issued no return: NULL rate, no median difference.
    assert got["A"] == ("unknown", 1, 2, D("0.5000"), D("0.4167"), D("0.0833"), D("0.0000"), D("0.1667"), D("-0.1667"))
    assert got["B"] == ("unknown", 1, 3, D("0.3333"), D("0.4167"), D("-0.0833"), D("0.3333"), D("0.1667"), D("0.1667"))
    assert got["R"] == ("unknown", 0, 0, None, D("0.4167"), None, None, D("0.1667"), None)
    others = officer_month(built, """withdrawal_near_deadline_count, withdrawal_near_deadline_rate,
        extension_after_deadline_count, extension_after_deadline_checked, extension_after_deadline_rate,
        late_recorded_count, late_recorded_checked, late_recorded_rate""", "SKHDT")
    assert others["A"][:2] == (1, D("1.0000"))                    # F4's withdrawal, 1/1
    assert others["B"][2:5] == (1, 2, D("0.5000"))                # F5 flagged, F6 not
    assert others["R"][5:] == (1, 2, D("0.5000"))                 # F8 flagged, F9 not


def test_daily_flags_add_up_to_the_month(built):
    got = {(r[0], r[1]): r[2:] for r in rows(built, f"""
        select officer_id, flag_date::text,
               return_near_deadline_count, return_near_deadline_checked, return_near_deadline_rate,
               repeated_return_count, repeated_return_checked,
               withdrawal_near_deadline_count, withdrawal_near_deadline_checked,
               extension_after_deadline_count, extension_after_deadline_checked, extension_after_deadline_rate,
               late_recorded_count, late_recorded_checked, flag_count
        from {BUILD_SCHEMA}.fairness_officer_daily where agency_code = 'SKHDT'""")}
    # Each flag on the day of the event that speaks for the case (test_flags_and_their_boundaries):
    # A: F1 returned Thu 5 (not near), F2 returned Fri 6 (near), F4 withdrawn Fri 6 (near);
    # B: F10 returned Mon 2, F7's second return Tue 3 (repeated), F3 returned Wed 4 (past the
    # deadline), F5 and F6 extended Wed 4 (F5 after the deadline); R: F8 and F9 on Mon 2 (F8 late).
    assert got == {
        ("A", "2026-03-05"): (0, 1, D("0.0000"), 0, 1, 0, 0, 0, 0, None, 0, 0, 0),
        ("A", "2026-03-06"): (1, 1, D("1.0000"), 0, 1, 1, 1, 0, 0, None, 0, 0, 2),
        ("B", "2026-03-02"): (0, 1, D("0.0000"), 0, 1, 0, 0, 0, 0, None, 0, 0, 0),
        ("B", "2026-03-03"): (0, 1, D("0.0000"), 1, 1, 0, 0, 0, 0, None, 0, 0, 1),
        ("B", "2026-03-04"): (1, 1, D("1.0000"), 0, 1, 0, 0, 1, 2, D("0.5000"), 0, 0, 2),
        ("R", "2026-03-02"): (0, 0, None, 0, 0, 0, 0, 0, 0, None, 1, 2, 1),
    }
    # every officer-month: the days add up to the monthly mart's counts
    flags = ["return_near_deadline", "withdrawal_near_deadline", "extension_after_deadline", "repeated_return",
             "late_recorded"]
    sums = ", ".join(f"sum({f}_count)::int, sum({f}_checked)::int" for f in flags)
    monthly = ", ".join(f"{f}_count, {f}_checked" for f in flags)
    daily = rows(built, f"select officer_id, agency_code, month, {sums} from {BUILD_SCHEMA}.fairness_officer_daily "
                        "group by 1, 2, 3 order by 1, 2, 3")
    assert daily and daily == rows(built, f"""
        select officer_id, agency_code, month, {monthly} from {BUILD_SCHEMA}.fairness_officer_monthly
         where {" or ".join(f"{f}_checked > 0" for f in flags)} order by 1, 2, 3""")


def test_case_mix_index_of_two_officers_with_the_same_raw_rate(built):
    got = officer_month(built, """cases_completed, on_time_rate, expected_on_time_rate, case_mix_index,
        case_mix_index_percentile, on_time_rate_percentile, is_on_time_small_sample, on_time_rate_group_median,
        group_officers_completing""", "STP")
    # P: 2/4 on time, all HARD (agency 0.25) -> expected 0.25, index 0.5 / 0.25 = 2.0
    # Q: 2/4 on time, all EASY (agency 0.75) -> expected 0.75, index 0.5 / 0.75 = 0.6667
    # O: 4/8, half each -> expected (4 x 0.25 + 4 x 0.75) / 8 = 0.5, index 1.0
    # percentile rank of the index in the group: Q 0, O 1/2, P 2/2; on-time rates tie (all 0).
    # Small sample below min_cases = 5: P and Q (4), not O (8).
    assert got == {
        "O": (8, D("0.5000"), D("0.5000"), D("1.0000"), D("0.5000"), D("0.0000"), False, D("0.5000"), 3),
        "P": (4, D("0.5000"), D("0.2500"), D("2.0000"), D("1.0000"), D("0.0000"), True, D("0.5000"), 3),
        "Q": (4, D("0.5000"), D("0.7500"), D("0.6667"), D("0.0000"), D("0.0000"), True, D("0.5000"), 3),
        # RS received the cases and completed none: no rate, no rank, a small sample (0 < 5)
        "RS": (0, None, None, None, None, None, True, D("0.5000"), 3),
    }


def test_wilson_bounds_against_the_table_value(built):
    got = officer_month(built, """cases_completed_on_time, cases_completed, on_time_rate, on_time_rate_lower,
        on_time_rate_upper, cases_returned_first_pass, cases_received, first_pass_return_rate,
        first_pass_return_rate_lower, first_pass_return_rate_upper, is_first_pass_return_small_sample""", "SNV")
    # 9/10 at z = 1.959964: (0.9 + z²/20 ± z·sqrt(0.009 + z²/400)) / (1 + z²/10)
    #   = (1.092073 ± 0.267330) / 1.384146 -> [0.59585, 0.98212]: the table's [0.596, 0.982];
    #   stored to 4 decimals, lower rounded down, upper up: [0.5958, 0.9822].
    # 1/10 mirrors it: [1 - 0.98212, 1 - 0.59585] = [0.01788, 0.40415] -> [0.0178, 0.4042].
    assert got["W"] == (9, 10, D("0.9000"), D("0.5958"), D("0.9822"), 1, 10, D("0.1000"), D("0.0178"), D("0.4042"), False)
    # R received F1-F10, five returned: 5/10 -> (0.5 ± 0.263410) -> [0.2365, 0.7635]; 10 >= 5, not small
    r = officer_month(built, """first_pass_return_rate, first_pass_return_rate_lower, first_pass_return_rate_upper,
        is_first_pass_return_small_sample, cases_completed, on_time_rate_lower, is_on_time_small_sample""", "SKHDT")["R"]
    assert r == (D("0.5000"), D("0.2365"), D("0.7635"), False, 0, None, True)


def test_converted_throughput_reads_the_complexity_weights(built, dbt_target):
    march = "working_days, weighted_completed, converted_throughput"
    # March 2026 from the history's first day (Mon 2 March): 22 working days; every weight 1.0:
    # P 4 / 22 = 0.1818, O 8 / 22 = 0.3636
    assert officer_month(built, march, "STP")["P"] == (22, D("4.0000"), D("0.1818"))
    # HARD weighs 2.0 from March 2026 (a row of kpi_models/procedure_complexity.csv, as loaded):
    # P 4 x 2 = 8 -> 8 / 22 = 0.3636; O 4 x 2 + 4 x 1 = 12 -> 12 / 22 = 0.5455; Q unchanged
    with db.connect("transform", built) as conn:
        conn.execute("insert into marts.procedure_complexity values ('HARD', 2.0, 'test', '2026-03-01', 't')")
    # fairness_officer_monthly is incremental by agency-month: the changed weights make every
    # month touched (int_fairness_months_touched compares them with those of the last build)
    run_dbt(built, "run", "--select", "int_fairness_months_touched", "fairness_officer_monthly",
            target_path=dbt_target, as_of=AS_OF)
    got = officer_month(built, march, "STP")
    assert got == {"O": (22, D("12.0000"), D("0.5455")), "P": (22, D("8.0000"), D("0.3636")),
                   "Q": (22, D("4.0000"), D("0.1818")), "RS": (22, D("0.0000"), D("0.0000"))}


def test_published_for_bi_and_the_demo_summary(built):
    # the publish path copies both fairness marts into marts (BI's schema)
    as_of = datetime.fromisoformat(AS_OF)
    result = publish(PublishRequest(run_id="fairness", local_date=as_of.date() - timedelta(days=1),
                                    interval_start=as_of - timedelta(days=1), interval_end=as_of),
                     dbname=built, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
    assert {"fct_case_flags", "fairness_officer_monthly", "fairness_officer_daily"} <= set(result.tables)
    with db.connect("bi", built) as conn:
        # F1-F10, 16 STP cases, 10 SNV cases
        assert conn.execute("select count(*) from marts.fct_case_flags").fetchone()[0] == 10 + 16 + 10
        # SKHDT's six officer-days above, and W's return at SNV on Monday 9 March
        assert conn.execute("select count(*) from marts.fairness_officer_daily").fetchone()[0] == 6 + 1
    proc = subprocess.run([sys.executable, "scripts/fairness_summary.py", "--dbname", built, "--month", "2026-03"],
                          capture_output=True, text=True, env=dbt_env(built), cwd=str(PROJECT_ROOT), timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    # officers with a checked return in March: A 1/2, B 1/3, W 0/1, all below min_cases 5 ("small
    # sample"); by rate: A 50.0%, B 33.3%, W 0.0%; SKHDT's median 41.7%, SNV's 0.0%
    assert [line.split()[:3] for line in out[1:]] == [["A", "SKHDT", "50.0%"], ["B", "SKHDT", "33.3%"],
                                                      ["W", "SNV", "0.0%"]], proc.stdout
    assert out[1].split()[-4:] == ["median", "41.7%", "small", "sample"], proc.stdout
