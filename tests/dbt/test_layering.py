"""dbt layering, read from the manifest of `dbt parse`: staging reads sources, intermediate reads
staging/intermediate/seeds, marts read intermediate/seeds, audit reads anything before it; no model
reads a later layer; every ref/source a model's SQL names is in dbt's lineage; names follow the
convention of dbt_project/README.md; every model has a description and a primary-key test.
The few documented exceptions are listed here and must be listed in the README too."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.dbt.dbt_runner import DBT_PROJECT, run_dbt

LAYERS = ("staging", "intermediate", "marts", "audit")   # in build order
ALLOWED = {                                               # layer -> what it may read
    "staging": {"source"},
    "intermediate": {"staging", "intermediate", "seed"},
    "marts": {"intermediate", "seed"},
    "audit": {"source", "staging", "intermediate", "marts", "seed"},
}
# (model, what it reads) -> why; each pair is written "`model` ← `dependency`" in the README.
DOCUMENTED = {
    ("stg_motcua__case_events", "stg_motcua__case_events_checked"):
        "the typed events minus those the shared check rejects (stg_motcua__rejected_events lists them)",
    ("stg_motcua__rejected_events", "stg_motcua__case_events_checked"): "the events the check rejects",
    ("int_cases_affected", "case_events"): "the incremental scope: raw ingested_at after the watermark",
    ("int_ingestion_watermark", "case_events"): "the next watermark: the newest raw ingested_at",
    ("kpi_officer_monthly_measures", "kpi_officer_daily"): "active_days counts the officer's daily rows",
    ("kpi_officer_monthly", "kpi_officer_monthly_measures"): "targets and met flags applied at read time",
    ("kpi_agency_monthly", "kpi_agency_monthly_measures"): "targets and met flags applied at read time",
    ("scorecard_officer_monthly", "kpi_officer_monthly"): "the scorecard scores the monthly KPIs",
    ("fct_due_soon_open_cases", "fct_cases"): "the open cases whose clock runs, every night, from the whole fact",
    ("kpi_officer_daily", "kpi_case_membership"): "every KPI row aggregates the per-case membership",
    ("kpi_officer_monthly_measures", "kpi_case_membership"): "every KPI row aggregates the per-case membership",
    ("kpi_agency_monthly_measures", "kpi_case_membership"): "every KPI row aggregates the per-case membership",
    ("stg_staff__assessments", "stg_staff__assessment_criteria"): "usability is judged on each version's criteria",
    ("stg_staff__assessments", "eval_criteria"): "usability is judged against the criteria catalogue of the period",
    ("eval_officer_kpi_period", "kpi_officer_monthly"): "the evaluation scores the published monthly KPIs and targets",
    ("eval_officer_kpi_period", "kpi_case_membership"): "the exempted cases' membership rows adjust the evaluation rates",
    ("eval_officer_period", "kpi_officer_monthly"): "officers with activity and no position are evaluated as unknown",
    ("eval_officer_period", "eval_officer_kpi_period"): "task points are the sum of the scored KPI points",
    ("eval_group_period", "eval_officer_period"): "the group's band counts and quota arithmetic",
    ("eval_case_membership", "kpi_case_membership"): "the evaluated KPIs' cases are the KPI membership's rows",
    ("fairness_officer_monthly", "fct_cases"): "group medians, per-procedure rates and ranks span every case of the month",
    ("fairness_officer_monthly", "fct_case_flags"): "the flag rates count the per-case flags",
    ("fairness_officer_daily", "fct_case_flags"): "the daily flag counts are the per-case flags by day",
    ("eval_membership_touched", "kpi_case_membership"): "the agency-months the night's cases count in",
    ("eval_membership_touched", "eval_membership_context"): "officer-months whose context changed",
    ("eval_case_membership", "eval_membership_touched"): "the officer-months an incremental run recomputes",
    ("eval_case_membership", "eval_membership_context"): "its post-hook records the context it was built with",
}
NAMES = {
    "staging": r"stg_[a-z0-9]+__[a-z0-9_]+",
    "intermediate": r"int_[a-z0-9_]+",
    "marts": r"(fct|kpi|dim|scorecard|eval|fairness)_[a-z0-9_]+",
    "audit": r"[a-z][a-z0-9_]+",
}
README = DBT_PROJECT / "README.md"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    target: Path = tmp_path_factory.mktemp("dbt_parse")
    run_dbt("motcua", "parse", target_path=target)   # parse reads no database
    return json.loads((target / "manifest.json").read_text())


def _layer(node: dict) -> str:
    if node["resource_type"] in ("source", "seed"):
        return node["resource_type"]
    return Path(node["original_file_path"]).parts[1]    # models/<layer>/...


def _models(manifest: dict) -> dict[str, dict]:
    return {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def _node(manifest: dict, uid: str) -> dict:
    return manifest["nodes"].get(uid) or manifest["sources"][uid]


def test_every_model_sits_in_a_known_layer(manifest):
    models = _models(manifest)
    assert len(models) >= 20
    assert {_layer(n) for n in models.values()} == set(LAYERS)


def test_each_layer_reads_only_what_it_may(manifest):
    bad = []
    for model in _models(manifest).values():
        layer = _layer(model)
        for uid in model["depends_on"]["nodes"]:
            dep = _node(manifest, uid)
            if _layer(dep) not in ALLOWED[layer] and (model["name"], dep["name"]) not in DOCUMENTED:
                bad.append(f"{model['name']} ({layer}) <- {dep['name']} ({_layer(dep)})")
    assert bad == []


def test_no_model_reads_a_later_layer(manifest):
    order = {"source": -1, "seed": -1, **{layer: i for i, layer in enumerate(LAYERS)}}
    later = [f"{m['name']} <- {_node(manifest, uid)['name']}"
             for m in _models(manifest).values() for uid in m["depends_on"]["nodes"]
             if order[_layer(_node(manifest, uid))] > order[_layer(m)]
             and (m["name"], _node(manifest, uid)["name"]) not in DOCUMENTED]
    assert later == []
    # the move this test guards: the month-end snapshots no longer read the fct_cases mart they feed
    snapshots = next(m for m in _models(manifest).values() if m["name"] == "int_case_month_snapshots")
    assert "model.motcua_kpi.fct_cases" not in snapshots["depends_on"]["nodes"]


def test_every_ref_and_source_in_the_sql_is_in_the_lineage(manifest):
    # A ref()/source() inside a branch dbt does not render at parse time (e.g. `{% if
    # is_incremental() %}`) is missing from the DAG unless a `-- depends_on:` comment declares it.
    missing = []
    for model in _models(manifest).values():
        deps = {_node(manifest, uid)["name"] for uid in model["depends_on"]["nodes"]}
        named = set(re.findall(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""", model["raw_code"]))
        named |= set(re.findall(r"""source\(\s*['"][^'"]+['"]\s*,\s*['"]([^'"]+)['"]\s*\)""", model["raw_code"]))
        missing += [f"{model['name']} -> {name}" for name in sorted(named - deps)]
    assert missing == []


def test_model_names_follow_the_convention(manifest):
    bad = [m["name"] for m in _models(manifest).values() if not re.fullmatch(NAMES[_layer(m)], m["name"])]
    assert bad == []


def test_every_model_has_a_description_and_a_primary_key_test(manifest):
    keyed: set[str] = set()
    for test in manifest["nodes"].values():
        if test["resource_type"] != "test" or not test.get("attached_node"):
            continue
        kind = (test.get("test_metadata") or {}).get("name")
        if kind == "unique_combination_of_columns":
            keyed.add(test["attached_node"])
        elif kind in ("unique", "not_null"):
            keyed.add(f"{test['attached_node']}|{kind}|{test['column_name']}")
    undescribed, unkeyed = [], []
    for uid, model in _models(manifest).items():
        if not model["description"].strip():
            undescribed.append(model["name"])
        columns = {k.split("|")[2] for k in keyed if k.startswith(uid + "|unique|")}
        if uid not in keyed and not any(f"{uid}|not_null|{c}" in keyed for c in columns):
            unkeyed.append(model["name"])
    assert undescribed == []
    assert sorted(unkeyed) == []


def test_the_exceptions_are_documented_in_the_readme():
    text = README.read_text()
    assert [pair for pair in DOCUMENTED if f"`{pair[0]}` ← `{pair[1]}`" not in text] == []
