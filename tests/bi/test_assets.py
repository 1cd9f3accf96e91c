"""bi/assets without Superset: every reference resolves, every chart reads marts.* through
columns and metrics its dataset defines, and the bundle `motcua bi` builds carries the
warehouse address but never a password (fast: a typo fails here, before an import)."""
from __future__ import annotations

import json
from pathlib import Path
from zipfile import ZipFile

import yaml

from motcua import bi

ASSETS = bi.ASSETS


def _load(folder: str) -> dict[str, dict]:
    return {p.relative_to(ASSETS).as_posix(): yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((ASSETS / folder).rglob("*.yaml"))}


def _columns_used(params: dict) -> set[str]:
    used = set(params.get("groupby") or []) | set(params.get("all_columns") or [])
    used |= {json.loads(item)[0] for item in params.get("order_by_cols") or []}
    used |= {f["subject"] for f in params.get("adhoc_filters") or [] if f.get("expressionType") == "SIMPLE"}
    if params.get("x_axis"):
        used.add(params["x_axis"])
    return used


def test_every_reference_resolves_and_charts_use_only_their_datasets_fields():
    databases, datasets, charts, dashboards = _load("databases"), _load("datasets"), _load("charts"), _load("dashboards")
    assert [d["database_name"] for d in databases.values()] == ["motcua_bi"]
    db_uuid = next(iter(databases.values()))["uuid"]
    by_uuid = {d["uuid"]: d for d in datasets.values()}
    assert len(by_uuid) == len(datasets) == 5
    for name, dataset in datasets.items():
        assert dataset["database_uuid"] == db_uuid, name
        assert dataset["schema"] == "marts" and dataset["sql"] is None, f"{name}: charts read marts.* tables only"
    problems = []
    for name, chart in charts.items():
        dataset = by_uuid.get(chart["dataset_uuid"])
        if dataset is None:
            problems.append((name, "unknown dataset"))
            continue
        columns = {c["column_name"] for c in dataset["columns"]}
        metrics = {m["metric_name"] for m in dataset["metrics"]}
        params = chart["params"]
        problems += [(name, "column", c) for c in sorted(_columns_used(params) - columns)]
        problems += [(name, "metric", m) for m in params.get("metrics") or [] if m not in metrics]
        assert chart["viz_type"] == params["viz_type"], name
        assert " · " in chart["slice_name"], f"{name}: title in Vietnamese · English"
    assert problems == []
    chart_uuids = {c["uuid"] for c in charts.values()}
    placed = []
    for name, dashboard in dashboards.items():
        items = [i for i in dashboard["position"].values() if isinstance(i, dict) and i.get("type") == "CHART"]
        placed += [i["meta"]["uuid"] for i in items]
        assert {i["meta"]["uuid"] for i in items} <= chart_uuids, name
        assert " · " in dashboard["dashboard_title"] and dashboard["slug"].startswith("motcua-"), name
    assert sorted(placed) == sorted(chart_uuids)          # every chart on exactly one dashboard


def _temporal(datasets: dict[str, dict], chart: dict) -> set[str]:
    return {c["column_name"] for c in datasets[chart["dataset_uuid"]]["columns"] if c["is_dttm"]}


def test_native_filters_reach_only_charts_that_have_their_column():
    """A select filter adds `column IN (...)` to every chart in its scope, a time filter sets the
    range of the chart's TEMPORAL_RANGE filter: a chart in scope without the column would fail, one
    without that filter would ignore the month. `scope.excluded` names charts by the layout's
    chartId, so those are distinct within a dashboard."""
    datasets = {d["uuid"]: d for d in _load("datasets").values()}
    charts = {c["uuid"]: c for c in _load("charts").values()}
    problems = []
    for name, dashboard in _load("dashboards").items():
        layout = {i["meta"]["chartId"]: charts[i["meta"]["uuid"]] for i in dashboard["position"].values()
                  if isinstance(i, dict) and i.get("type") == "CHART"}
        assert len(layout) == sum(1 for i in dashboard["position"].values()
                                  if isinstance(i, dict) and i.get("type") == "CHART"), f"{name}: chartId repeated"
        filters = dashboard["metadata"]["native_filter_configuration"]
        ids = [f["id"] for f in filters]
        assert filters and len(set(ids)) == len(ids) and all(i.startswith("NATIVE_FILTER-") for i in ids), name
        for f in filters:
            assert " · " in f["name"] and f["scope"]["rootPath"] == ["ROOT_ID"], (name, f["id"])
            assert set(f["scope"]["excluded"]) <= set(layout), (name, f["id"], "excluded chart not on the dashboard")
            assert set(f["cascadeParentIds"]) <= set(ids), (name, f["id"])
            in_scope = [c for chart_id, c in layout.items() if chart_id not in f["scope"]["excluded"]]
            if f["filterType"] == "filter_select":
                target = f["targets"][0]
                column = target["column"]["name"]
                assert column in {c["column_name"] for c in datasets[target["datasetUuid"]]["columns"]}, (name, f["id"])
                problems += [(name, f["id"], c["slice_name"]) for c in in_scope
                             if column not in {col["column_name"] for col in datasets[c["dataset_uuid"]]["columns"]}]
            else:
                assert f["filterType"] == "filter_time", (name, f["id"])
                problems += [(name, f["id"], c["slice_name"]) for c in in_scope
                             if not any(a.get("operator") == "TEMPORAL_RANGE" and a["subject"] in _temporal(datasets, c)
                                        for a in c["params"].get("adhoc_filters") or [])]
    assert problems == []


def test_the_bundle_has_the_warehouse_address_and_no_password(tmp_path, monkeypatch):
    monkeypatch.setenv("PGHOST", "10.0.0.7")
    monkeypatch.setenv("PGPORT", "6543")
    monkeypatch.setenv("PGDATABASE", "kpi_prod")
    monkeypatch.setenv("MOTCUA_BI_PASSWORD", "s3cret-not-in-zip")
    zip_path = bi.build_bundle(tmp_path / "b.zip")
    with ZipFile(zip_path) as zf:
        names = zf.namelist()
        texts = {n: zf.read(n).decode() for n in names}
    assert all(n.startswith("motcua_bi/") for n in names) and len(names) == len(list(ASSETS.rglob("*.yaml")))
    assert not any("s3cret-not-in-zip" in t for t in texts.values())
    database = yaml.safe_load(texts["motcua_bi/databases/motcua_bi.yaml"])
    assert database["sqlalchemy_uri"] == "postgresql+psycopg2://motcua_bi:XXXXXXXXXX@10.0.0.7:6543/kpi_prod"
    assert yaml.safe_load(texts["motcua_bi/metadata.yaml"])["type"] == "assets"
    # each chart gets a saved query: its metrics, its columns, the SQL filters as extras
    bands = yaml.safe_load(texts["motcua_bi/charts/officer_band_distribution.yaml"])
    query = json.loads(bands["query_context"])["queries"][0]
    assert query["metrics"] == ["officers"] and query["extras"]["where"] == "(period_type = 'month')"
    assert query["columns"][0]["sqlExpression"] == "period" and query["columns"][1:] == ["band_label"]
    listing = json.loads(yaml.safe_load(texts["motcua_bi/charts/due_soon_list.yaml"])["query_context"])["queries"][0]
    assert listing["orderby"] == [["agency_code", True], ["working_minutes_left", True]] and listing["metrics"] == []
    # the page of Superset's Import dashboards accepts only this type
    assert yaml.safe_load(ZipFile(bi.build_bundle(tmp_path / "d.zip", kind="Dashboard"))
                          .read("motcua_bi/metadata.yaml"))["type"] == "Dashboard"


def test_rates_are_reaggregated_from_numerators_and_denominators():
    """A rate metric divides summed numerators by summed denominators (NULL on 0), so a chart that
    sums months or agencies shows the right rate; an average of rates would not."""
    rates = {m["metric_name"]: m["expression"] for d in _load("datasets").values() for m in d["metrics"]
             if m.get("d3format") == ".1%"}
    assert rates, "no rate metric"
    for name, expression in rates.items():
        assert expression.startswith("SUM(") and "/ NULLIF(SUM(" in expression and "AVG(" not in expression, name
    assert rates["on_time_rate_agg"] == "SUM(cases_completed_on_time)::numeric / NULLIF(SUM(cases_completed), 0)"
    assert rates["progress_index_766_agg"] == (
        "SUM(cases_completed_on_time + open_within_deadline)::numeric / "
        "NULLIF(SUM(cases_completed + open_within_deadline + open_overdue + waiting_for_applicant), 0)")


def test_secrets_go_to_the_secrets_file_not_to_superset_processes(tmp_path, monkeypatch):
    monkeypatch.setenv("MOTCUA_STATE_DIR", str(tmp_path))
    monkeypatch.delenv(bi.SECRET_KEY_VAR, raising=False)
    monkeypatch.delenv(bi.ADMIN_PASSWORD_VAR, raising=False)
    monkeypatch.setenv("MOTCUA_BI_PASSWORD", "bi-pw")
    monkeypatch.setenv("MOTCUA_TRANSFORM_PASSWORD", "transform-pw")
    first = bi.ensure_secrets()
    again = bi.ensure_secrets()
    assert first.admin_password_generated and not again.admin_password_generated
    assert (first.secret_key, first.admin_password) == (again.secret_key, again.admin_password)
    secrets = Path(tmp_path / "secrets.env")
    assert secrets.stat().st_mode & 0o777 == 0o600
    assert secrets.read_text().splitlines() == [f"{bi.SECRET_KEY_VAR}={first.secret_key}",
                                                f"{bi.ADMIN_PASSWORD_VAR}={first.admin_password}"]
    env = bi.superset_env(first.secret_key)
    assert env["SUPERSET_SECRET_KEY"] == first.secret_key
    assert "MOTCUA_BI_PASSWORD" not in env and "MOTCUA_TRANSFORM_PASSWORD" not in env
    assert env["SUPERSET_METADATA_URI"] == f"sqlite:///{tmp_path / 'superset' / 'superset.db'}"
