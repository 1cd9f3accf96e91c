"""`motcua audit trace <evaluation cell> --verify`: an officer-month's Decree 335 result recomputed
independently, on a small hand-computed history (SKHDT, March 2026, 22 working days).

CB02 is a processing officer (weights: on_time_rate 30, throughput_per_working_day 20,
complaint_rate 10, avg_rating 10; task_max 70, min_cases 5). CB02 completed six cases:
- E1-E4 on time (E1, E3 early; E2 on the deadline's date; E4 exactly at the deadline);
- E5 late (due Fri 6/3 09:00, completed Mon 9/3 09:00), lateness exempted (QĐ-5/2026);
- E6 late (due Fri 6/3 10:00, completed Mon 9/3 10:00), exemption granted then revoked.
on_time_rate: factual 4/6 = 0.6667, evaluation 5/6 = 0.8333 (1 exempted case) < 0.98:
  attainment 0.8333.../0.98; scaled weight 30 x 70 / 40 = 52.5; points 52.5 x 5/6 / 0.98 = 44.6429.
complaint_rate: 0/6 = 0 < 0.005 (met): 10 x 70 / 40 = 17.5.
throughput_per_working_day: 6/22 = 0.2727, no target: not scored. avg_rating: E1 rated 5, E2 rated 4:
(5 + 4) / 2 = 4.5000 on 2 ratings, fewer than min_cases: not scored.
Task part 62.14. Manager's March assessment: 30 (10, 10, 10), corrected the next day to 26
(8, 9, 9): the correction applies; the later Q1 assessment does not (a monthly one exists); the
self-assessment (weight 0) is shown, not counted. General part 26.00; total 88.14: good (70-90).
CB02 is the only processing officer of SKHDT: no quota demotion (k = 0, no excellent).

LD1 leads CB02's unit PHONG1 (weights on_time_rate 40, first_pass_return_rate 15, avg_rating 15):
a leader's KPIs are the unit's (CB02's cases; the receiver CB01 holds no position). Only
on_time_rate is scored (nobody in the unit received a case or was rated): 70 x 5/6 / 0.98 =
59.5238, task 59.52; CB02 passes, so the unit factor is 1; manager's 30: total 89.52, good.
"""
from __future__ import annotations

import json
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ingestion import db
from publish.recompute_eval import EvalConfig, quota
from tests.dbt.events import completed, insert_events, rated, received, vn
from tests.dbt.staff_events import assessed, exemption, insert_staff_events, positioned
from tests.dbt.test_audit_trace import build_and_publish, read_csv, trace

CELL = ["--key", "officer_id=CB02", "--key", "period_type=month", "--key", "period=2026-03"]
PERIOD = ["--table", "eval_officer_period", *CELL]


def cases() -> list:
    timings = [("E1", "2026-03-02 09:00", "2026-03-04 09:00", "2026-03-03 10:00"),
               ("E2", "2026-03-02 10:00", "2026-03-04 10:00", "2026-03-04 09:00"),
               ("E3", "2026-03-03 09:00", "2026-03-05 09:00", "2026-03-04 15:00"),
               ("E4", "2026-03-03 10:00", "2026-03-05 10:00", "2026-03-05 10:00"),
               ("E5", "2026-03-04 09:00", "2026-03-06 09:00", "2026-03-09 09:00"),
               ("E6", "2026-03-04 10:00", "2026-03-06 10:00", "2026-03-09 10:00")]
    out = []
    for case, at, due, done in timings:
        out += [received(case, vn(at), vn(due), days=2), completed(case, vn(done))]
    return [*out, rated("E1", vn("2026-03-10 09:00"), 5), rated("E2", vn("2026-03-11 09:00"), 4)]


@pytest.fixture(scope="module")
def published(module_db, dbt_target):
    insert_events(module_db, cases())
    insert_staff_events(module_db, [
        positioned("CB02", "SKHDT", "PHONG1", "processing", "2026-01-01"),
        positioned("LD1", "SKHDT", "PHONG1", "leadership", "2026-01-01"),
        assessed("LD1", "SKHDT", "2026-03", (10, 10, 10), vn("2026-04-01 11:00"), assessor="GD1"),
        assessed("CB02", "SKHDT", "2026-03", (10, 10, 10), vn("2026-04-01 09:00")),
        assessed("CB02", "SKHDT", "2026-03", (8, 9, 9), vn("2026-04-02 09:00")),
        assessed("CB02", "SKHDT", "2026-Q1", (10, 10, 10), vn("2026-04-03 09:00")),
        assessed("CB02", "SKHDT", "2026-03", (10, 10, 10), vn("2026-04-01 10:00"), role="self", assessor="CB02"),
        exemption("E5", "lateness", "QĐ-5/2026", vn("2026-03-20 09:00")),
        exemption("E6", "lateness", "QĐ-6/2026", vn("2026-03-20 09:30")),
        exemption("E6", "lateness", "QĐ-6/2026", vn("2026-03-25 09:00"), revoke=True)])
    build_and_publish(module_db, dbt_target, "night-1", date(2026, 4, 14))
    return module_db


def verify(dbname: str, *args: str, out: Path | None = None):
    return trace(dbname, *args, "--verify", "--out", str(out or Path(tempfile.mkdtemp(prefix="verify-eval-"))))


def disagreements(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("DISAGREE")]


def tampered(dbname: str, sql: str, restore: str):
    """Change one published component as the marts' owner, for the duration of a `with` block."""
    class Tamper:
        def __enter__(self):
            with db.connect("transform", dbname) as conn:
                assert conn.execute(sql).rowcount == 1
                conn.commit()

        def __exit__(self, *exc):
            with db.connect("transform", dbname) as conn:
                conn.execute(restore)
                conn.commit()
    return Tamper()


def test_verify_agrees_with_the_hand_computed_result(published, tmp_path):
    done = verify(published, *PERIOD, "--measure", "total_points", out=tmp_path / "v")
    assert done.returncode == 0, done.stdout + done.stderr
    assert disagreements(done.stdout) == []
    assert "verify: AGREE: total_points recomputed 88.14, published 88.14;" in done.stdout
    assert "the published totals of the 0 other processing officers of the agency" in done.stdout
    rows = read_csv(tmp_path / "v" / "verification.csv")
    assert rows and all(r["agrees"] == "True" for r in rows)
    assert {r["component"]: r["recomputed"] for r in rows}["on_time_rate.points"] == "44.6429"
    components = {c["component"]: (c["published"], c["recomputed"])
                  for c in json.loads((tmp_path / "v" / "trace.json").read_text())["verification"]["components"]}
    hand = {"on_time_rate.value_factual": "0.6667", "on_time_rate.value_evaluation": "0.8333",
            "on_time_rate.exempted_cases": 1, "on_time_rate.points": "44.6429", "complaint_rate.points": "17.5000",
            "throughput_per_working_day.value_factual": "0.2727", "throughput_per_working_day.denominator": "22",
            "avg_rating.value_factual": "4.5000", "avg_rating.denominator": "2", "avg_rating.is_scored": False,
            "criteria.manager.compliance": "8", "criteria.self.compliance": "10.00", "general_points": "26.00",
            "task_points": "62.14", "band_before_quota": "good", "band": "good", "quota_demoted": False}
    assert {k: components[k][1] for k in hand} == hand

    first = verify(published, *PERIOD, "--measure", "total_points", "--publication", "1")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "note: components other than the traced one are compared with what BI sees now, not publication 1" in first.stdout

    kpi = verify(published, "--table", "eval_officer_kpi_period", *CELL, "--key", "kpi_code=on_time_rate",
                 "--measure", "points")
    assert kpi.returncode == 0, kpi.stdout + kpi.stderr
    assert "verify: AGREE: on_time_rate.points recomputed 44.6429, published 44.6429;" in kpi.stdout


def test_a_leader_is_verified_on_the_unit_measures(published):
    done = verify(published, "--table", "eval_officer_period", "--key", "officer_id=LD1", "--key", "period_type=month",
                  "--key", "period=2026-03", "--measure", "total_points")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agree task_points: 59.52 (recomputed)" in done.stdout
    assert "unit factor: from the published totals of unit PHONG1's other officers (0 below the pass threshold)" in done.stdout
    assert "verify: AGREE: total_points recomputed 89.52, published 89.52;" in done.stdout


def test_a_quarter_is_the_mean_of_its_scored_months(published):
    # Q1: January and February have no case (no KPI scored) but the manager's Q1 assessment (30) applies to
    # them; only March is scored (88.14): 1 month < quarter_min_scored_months (2), the quarter is pending
    done = verify(published, "--table", "eval_officer_period", "--key", "officer_id=CB02", "--key", "period_type=quarter",
                  "--key", "period=2026-Q1", "--measure", "total_points")
    assert done.returncode == 0, done.stdout + done.stderr
    assert disagreements(done.stdout) == []
    assert "verify: AGREE: total_points recomputed -, published -;" in done.stdout
    with tampered(published, "update marts.eval_officer_period set general_points = 29.00 where officer_id = 'CB02'"
                             " and period_type = 'month' and period = '2026-02'",
                  "update marts.eval_officer_period set general_points = 30.00 where officer_id = 'CB02'"
                  " and period_type = 'month' and period = '2026-02'"):
        tampered_month = verify(published, "--table", "eval_officer_period", "--key", "officer_id=CB02",
                                "--key", "period_type=quarter", "--key", "period=2026-Q1", "--measure", "general_points")
    assert tampered_month.returncode == 1
    assert disagreements(tampered_month.stdout) == [
        "DISAGREE 2026-02.general_points: published 29.00, recomputed 30.00 (recomputed)"]


def test_quota_keeps_the_k_highest_excellent_and_demotes_a_tie_at_the_cut():
    cfg = EvalConfig.from_project()
    end = date(2026, 3, 31)
    # excellent 95, 93, 92 and good 80, 75, 71: k = floor(0.2 x 6 / 1.2) = 1
    others = [Decimal(x) for x in ("95", "92", "80", "75", "71")]
    assert quota(Decimal("93"), others, end, cfg) == ("good", True)
    assert quota(Decimal("96"), [Decimal("93"), *others[1:]], end, cfg) == ("excellent", False)
    # 95 tied with the officer at the cut: neither can stay alone, both are demoted
    assert quota(Decimal("95"), others, end, cfg) == ("good", True)
    assert quota(Decimal("85"), others, end, cfg) == ("good", False)
    assert quota(None, others, end, cfg) == ("pending", False)


def test_tampered_general_part_is_the_one_disagreement(published):
    with tampered(published, "update marts.eval_officer_period set general_points = 27.00"
                             " where officer_id = 'CB02' and period_type = 'month' and period = '2026-03'",
                  "update marts.eval_officer_period set general_points = 26.00"
                  " where officer_id = 'CB02' and period_type = 'month' and period = '2026-03'"):
        done = verify(published, *PERIOD, "--measure", "general_points")
    assert done.returncode == 1, done.stdout + done.stderr
    assert disagreements(done.stdout) == ["DISAGREE general_points: published 27.00, recomputed 26.00 (recomputed)"]
    assert "verify: DISAGREE: general_points recomputed 26.00, published 27.00;" in done.stdout


def test_tampered_kpi_value_and_criterion_are_named(published):
    where = "where officer_id = 'CB02' and period = '2026-03' and kpi_code = 'on_time_rate'"
    with tampered(published, f"update marts.eval_officer_kpi_period set value_evaluation = 0.6667 {where}",
                  f"update marts.eval_officer_kpi_period set value_evaluation = 0.8333 {where}"):
        done = verify(published, "--table", "eval_officer_kpi_period", *CELL, "--key", "kpi_code=on_time_rate",
                      "--measure", "value_evaluation")
    assert done.returncode == 1, done.stdout + done.stderr
    assert disagreements(done.stdout) == [
        "DISAGREE on_time_rate.value_evaluation: published 0.6667, recomputed 0.8333 (recomputed)"]

    # the superseded version's 10 published for the manager's compliance criterion (the correction says 8)
    where = ("where officer_id = 'CB02' and period = '2026-03' and assessor_role = 'manager'"
             " and criterion_code = 'compliance'")
    with tampered(published, f"update marts.eval_officer_criteria_period set points = 10 {where}",
                  f"update marts.eval_officer_criteria_period set points = 8 {where}"):
        done = verify(published, "--table", "eval_officer_criteria_period", *CELL, "--key", "assessor_role=manager",
                      "--key", "criterion_code=compliance", "--measure", "points")
    assert done.returncode == 1, done.stdout + done.stderr
    assert disagreements(done.stdout) == ["DISAGREE criteria.manager.compliance: published 10, recomputed 8 (recomputed)"]


def test_a_revocation_loaded_after_the_build_disagrees_where_it_counts(published):
    # E5's exemption revoked after the publication: raw says 4/6 = 0.6667 on time for the evaluation,
    # points 52.5 x (4/6) / 0.98 = 35.7143, task 35.7143 + 17.5 = 53.21, total 79.21 (still good)
    insert_staff_events(published, [exemption("E5", "lateness", "QĐ-5/2026", vn("2026-04-20 09:00"), revoke=True)])
    done = verify(published, *PERIOD, "--measure", "total_points")
    assert done.returncode == 1
    assert disagreements(done.stdout) == [
        "DISAGREE on_time_rate.value_evaluation: published 0.8333, recomputed 0.6667 (recomputed)",
        "DISAGREE on_time_rate.numerator: published 5, recomputed 4 (recomputed)",
        "DISAGREE on_time_rate.exempted_cases: published 1, recomputed 0 (recomputed)",
        "DISAGREE on_time_rate.points: published 44.6429, recomputed 35.7143 (recomputed)",
        "DISAGREE task_points: published 62.14, recomputed 53.21 (recomputed)",
        "DISAGREE total_points: published 88.14, recomputed 79.21 (recomputed)"]
