"""Evaluation marts in the gate: consistent scores pass; a band that contradicts its total, or more
excellent officers than the quota allows, blocks publication (exit 3).

The evaluation tables are hand-written (tests/statement/eval_marts.py) into the build schema the
real dbt project built the KPI marts in."""
from __future__ import annotations

import pytest

from expectations import run_gate
from expectations.__main__ import main
from tests.expectations import data
from tests.expectations.data import BUILD_SCHEMA, GATE_DAY
from tests.statement import eval_marts as em

EVAL_CHECKS = {
    "eval_officer_period_contract_columns", "eval_officer_period_key_unique", "eval_officer_period_no_personal_data_values",
    "eval_officer_period_total_in_0_100", "eval_officer_period_points_within_maxima",
    "eval_officer_period_band_known", "eval_officer_period_band_not_null",
    "eval_officer_period_band_before_quota_known", "eval_officer_period_band_before_quota_not_null",
    "eval_officer_period_band_matches_total", "eval_officer_period_band_after_quota",
    "eval_officer_period_quota_keeps_the_highest",
    "eval_group_period_contract_columns", "eval_group_period_key_unique", "eval_group_period_no_personal_data_values",
    "eval_group_period_excellent_within_quota", "eval_group_period_quota_k", "eval_group_period_counts_match_officers",
}


@pytest.fixture()
def eval_db(good_db) -> str:
    em.load_scenario(good_db, BUILD_SCHEMA, lineage=False, fct_cases=False)
    return good_db


def _failed(result) -> set[str]:
    return {o.expectation for o in result.critical_failures}


def test_consistent_scores_pass(eval_db, gate_config):
    result = run_gate("marts", GATE_DAY, dbname=eval_db, config=gate_config)

    assert result.passed, result.summary()
    evaluated = {o.expectation for o in result.outcomes if o.suite in ("marts.eval_officer_period", "marts.eval_group_period")}
    assert evaluated == EVAL_CHECKS


def test_a_band_that_contradicts_its_total_blocks(eval_db, gate_config):
    # SKHDT-CB21 scored 60 (pass) but is published good; the group's counts follow the officers'
    # rows, so only the band rule can catch it.
    data.execute(eval_db, f"""
        update {BUILD_SCHEMA}.eval_officer_period set band_before_quota = 'good', band = 'good'
         where officer_id = 'SKHDT-CB21' and period = '2026-03';
        update {BUILD_SCHEMA}.eval_group_period set pass_count = 0, good_before = 6, good_after = 11
         where agency_code = 'SKHDT' and position_group = 'processing' and period = '2026-03'""", role="transform")

    result = run_gate("marts", GATE_DAY, dbname=eval_db, config=gate_config)

    assert result.exit_code == 3 and _failed(result) == {"eval_officer_period_band_matches_total"}
    failure = next(o for o in result.critical_failures)
    assert failure.details == [{"officer_id": "SKHDT-CB21", "period_type": "month", "period": "2026-03",
                                "total_points": 60, "band_before_quota": "good", "expected_band": "pass"}]


def test_more_excellent_than_the_quota_blocks_with_exit_3(eval_db, tmp_path, monkeypatch, capsys):
    # The officer ranked 3rd keeps excellent although k = floor(12 ÷ 6) = 2; the officers' rows and
    # the group's counts agree with each other, so only the quota rules can catch it.
    data.execute(eval_db, f"""
        update {BUILD_SCHEMA}.eval_officer_period set band = 'excellent', quota_demoted = false
         where officer_id = '{em.OFFICER}' and period = '2026-03';
        update {BUILD_SCHEMA}.eval_group_period set excellent_after = 3, good_after = 9, demoted = 4
         where agency_code = 'SKHDT' and position_group = 'processing' and period = '2026-03'""", role="transform")
    monkeypatch.setenv("MOTCUA_GX_DATA_DOCS_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("MOTCUA_GX_GX_STATE_DIR", str(tmp_path / "gx"))

    code = main(["gate", "--layer", "marts", "--date", GATE_DAY.isoformat(), "--database", eval_db])

    out = capsys.readouterr().out
    assert code == 3, out
    critical = out.split("CRITICAL (blocks publication):")[1].split("WARNING")[0]
    failed = [line.split("]")[1].split(":")[0].strip() for line in critical.splitlines() if line.startswith("  - [")]
    # the group's count breaks the quota, and the officer's row breaks "the k highest stay"
    assert failed == ["eval_officer_period_quota_keeps_the_highest", "eval_group_period_excellent_within_quota"], out
    assert '"quota_k": 2, "excellent_after": 3' in out


def test_a_quota_that_demotes_the_wrong_officer_blocks(eval_db, gate_config):
    # k = 2: the two highest totals (CB10 97, CB11 95) stay excellent. Here CB10 is demoted and CB12
    # (92, 4th) kept instead: every count, quota_k and each row's band/demotion pair still agree,
    # so only the rule "the k highest stay" can catch it.
    data.execute(eval_db, f"""
        update {BUILD_SCHEMA}.eval_officer_period set band = 'good', quota_demoted = true
         where officer_id = 'SKHDT-CB10' and period = '2026-03';
        update {BUILD_SCHEMA}.eval_officer_period set band = 'excellent', quota_demoted = false
         where officer_id = 'SKHDT-CB12' and period = '2026-03'""", role="transform")

    result = run_gate("marts", GATE_DAY, dbname=eval_db, config=gate_config)

    assert result.exit_code == 3 and _failed(result) == {"eval_officer_period_quota_keeps_the_highest"}
    failure = next(o for o in result.critical_failures)
    assert [(r["officer_id"], r["quota_demoted"], r["at_or_above"], r["above"], r["quota_k"]) for r in failure.details] == [
        ("SKHDT-CB10", True, 1, 0, 2), ("SKHDT-CB12", False, 4, 3, 2)]


def test_a_tie_at_the_cut_not_flagged_blocks(eval_db, gate_config):
    # CB11 and the statement's officer tied at 95: both are demoted by the quota but published
    # without quota_tie (1 total above them < k = 2, so they are demoted only by the tie).
    data.execute(eval_db, f"""
        update {BUILD_SCHEMA}.eval_officer_period set total_points = 95, task_points = 68
         where officer_id = '{em.OFFICER}' and period = '2026-03';
        update {BUILD_SCHEMA}.eval_officer_period set band = 'good', quota_demoted = true
         where officer_id = 'SKHDT-CB11' and period = '2026-03';
        update {BUILD_SCHEMA}.eval_group_period set excellent_after = 1, good_after = 11, demoted = 6
         where agency_code = 'SKHDT' and position_group = 'processing' and period = '2026-03'""", role="transform")

    result = run_gate("marts", GATE_DAY, dbname=eval_db, config=gate_config)

    assert result.exit_code == 3 and _failed(result) == {"eval_officer_period_quota_keeps_the_highest"}
    failure = next(o for o in result.critical_failures)
    assert sorted((r["officer_id"], r["quota_tie"], r["at_or_above"], r["above"]) for r in failure.details) == [
        (em.OFFICER, False, 3, 1), ("SKHDT-CB11", False, 3, 1)]
