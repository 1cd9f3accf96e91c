"""The KPI catalogue (kpi_models/) is consistent with the targets and weights dbt loads."""
from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

import yaml

from ingestion.settings import PROJECT_ROOT

KPI_MODELS = PROJECT_ROOT / "kpi_models"
REQUIRED = {"code", "name_vi", "name_en", "formula", "unit", "direction", "target"}


def read_csv(name: str) -> list[dict]:
    with open(KPI_MODELS / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_catalogue_defines_every_configured_kpi():
    catalogue = yaml.safe_load((KPI_MODELS / "catalogue.yml").read_text(encoding="utf-8"))
    kpis = {k["code"]: k for k in catalogue["kpis"]}
    for kpi in kpis.values():
        assert REQUIRED <= kpi.keys(), kpi["code"]
        assert kpi["direction"] in {"higher_is_better", "lower_is_better"}
    targets, weights = read_csv("kpi_targets.csv"), read_csv("scorecard_weights.csv")
    assert {t["kpi_code"] for t in targets} <= kpis.keys()
    assert {w["kpi_code"] for w in weights} <= kpis.keys()
    # a comparator agrees with the KPI's direction
    for t in targets:
        expected = {">=", ">"} if kpis[t["kpi_code"]]["direction"] == "higher_is_better" else {"<=", "<"}
        assert t["comparator"] in expected, t


def test_targets_and_weights_are_versioned_and_sane():
    for t in read_csv("kpi_targets.csv"):
        date.fromisoformat(t["valid_from"])
        assert t["version"]
        if t["target"] and t["kpi_code"].endswith("_rate"):
            assert Decimal(0) <= Decimal(t["target"]) <= Decimal(1), t
    weights = read_csv("scorecard_weights.csv")
    by_version: dict[str, Decimal] = {}
    for w in weights:
        by_version[w["version"]] = by_version.get(w["version"], Decimal(0)) + Decimal(w["weight"])
    # Decree 335: task results are 70 of the 100 points
    assert all(total == 70 for total in by_version.values()), by_version
