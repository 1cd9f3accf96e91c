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
    # the group's counts agree with each other, so only the quota rule can catch it.
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
    failed = [line.split("]")[1].split(":")[0].strip() for line in out.splitlines() if line.startswith("  - [")]
    assert failed == ["eval_group_period_excellent_within_quota"], out
    assert '"quota_k": 2, "excellent_after": 3' in out
