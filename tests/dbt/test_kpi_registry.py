"""The KPI registry (kpi_models/catalogue.yml) is the one source of the marts' KPI columns."""
from __future__ import annotations

import yaml

from motcua import kpi_registry
from motcua.kpi_registry import MARTS, columns_at, load, main


def test_generated_files_are_current():
    # a registry edit without `motcua kpi generate` leaves the dbt macro or a contract stale
    assert main(["generate", "--check"]) == 0


def test_check_reports_a_stale_registry(tmp_path, monkeypatch):
    registry = load()
    registry["kpis"][0]["data_type"] = "numeric(9,4)"
    path = tmp_path / "catalogue.yml"
    path.write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(kpi_registry, "REGISTRY", path)
    monkeypatch.setattr(kpi_registry, "load", lambda p=path: yaml.safe_load(p.read_text(encoding="utf-8")))
    assert main(["generate", "--check"]) == 1


def test_contracts_and_registry_agree():
    registry = load()
    known_measures = {m["column"] for m in registry["measures"]}
    known_kpis = {k["code"] for k in registry["kpis"]}
    for grain, model in registry["grains"].items():
        contract = yaml.safe_load((MARTS / f"{model}.yml").read_text(encoding="utf-8"))
        declared = {c["name"]: c.get("data_type") for c in contract["models"][0]["columns"]}
        for col in columns_at(registry, grain):
            assert declared.get(col["name"]) == col["data_type"], (model, col["name"])
        # no KPI-like column in a contract that the registry does not know
        for name, data_type in declared.items():
            if data_type and data_type.startswith("numeric(") and not name.endswith("_target"):
                assert name in known_kpis, (model, name)
            if (name.startswith("cases_") or name.endswith(("_count", "_sum"))) and name != "officers_count":
                assert name in known_measures, (model, name)


def test_registry_entries_are_complete():
    registry = load()
    grains = set(registry["grains"])
    for m in registry["measures"]:
        assert m["aggregate"] in {"sum", "count", "rows"} and set(m["grains"]) <= grains, m
        assert m["data_type"] in {"integer", "numeric"}, m
        assert " / " in m["description"], m  # Vietnamese / English
    for k in registry["kpis"]:
        assert k["type"] in {"rate", "mean", "per_working_day"}, k
        assert k["direction"] in {"higher_is_better", "lower_is_better"}, k
        assert set(k["grains"]) <= grains and k["position_groups"], k
        assert k["name_vi"] and k["name_en"] and k["numerator_sql"] and k["denominator_sql"], k
        # counts are integers; a mean or rate is never truncated to one
        assert k["data_type"].startswith("numeric("), k
