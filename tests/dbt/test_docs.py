"""`motcua docs build`: the dbt docs describe what BI reads (marts.*, not the build schema), open on
the project's overview (also in a real browser, offline) and list the exposures."""
from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.request
from datetime import datetime, timedelta

import pytest

from ingestion.settings import PROJECT_ROOT
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, dbt_env, run_dbt
from tests.dbt.events import completed, insert_events, received, vn
from tests.expectations.test_data_docs_browser import _chromium_dom, _console_errors

AS_OF = "2026-03-10T00:00:00+07:00"


@pytest.fixture(scope="module")
def docs(module_db, dbt_target, tmp_path_factory):
    insert_events(module_db, [received("D1", vn("2026-03-02 09:00"), vn("2026-03-04 09:00"), officer="R1", days=2),
                              completed("D1", vn("2026-03-03 10:00"), officer="C1")])
    run_dbt(module_db, "build", "--resource-type", "seed", "--resource-type", "model", target_path=dbt_target, as_of=AS_OF)
    as_of = datetime.fromisoformat(AS_OF)
    publish(PublishRequest(run_id="docs", local_date=as_of.date() - timedelta(days=1),
                           interval_start=as_of - timedelta(days=1), interval_end=as_of),
            dbname=module_db, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
    out = tmp_path_factory.mktemp("dbt_docs")
    done = subprocess.run([sys.executable, "-m", "motcua", "docs", "build", "--out", str(out)], capture_output=True,
                          text=True, env=dbt_env(module_db), cwd=PROJECT_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"dbt docs: {out / 'index.html'}"
    return out


def test_docs_describe_the_published_relations_and_the_exposures(docs):
    manifest = json.loads((docs / "target" / "manifest.json").read_text())
    catalog = json.loads((docs / "target" / "catalog.json").read_text())
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")}
    assert models["kpi_officer_monthly"]["relation_name"].endswith('"marts"."kpi_officer_monthly"')
    assert models["kpi_case_membership"]["relation_name"].endswith('"lineage"."kpi_case_membership"')
    assert models["agencies"]["schema"] == "marts"
    assert [name for name, n in models.items() if n["schema"] == BUILD_SCHEMA] == []
    # the catalog was read from the published table: its columns, with the stored type of a rate
    published = catalog["nodes"]["model.motcua_kpi.kpi_officer_monthly"]
    assert published["metadata"]["schema"] == "marts"
    assert published["columns"]["on_time_rate"]["type"].startswith("numeric")
    assert "is_partial_period" in published["columns"]
    exposures = {e["name"]: e for e in manifest["exposures"].values()}
    assert {name: e["type"] for name, e in exposures.items()} == {
        "agency_kpi_dashboard": "dashboard", "officer_kpi_dashboard": "dashboard", "officer_statement": "application"}
    assert "model.motcua_kpi.eval_officer_period" in exposures["officer_statement"]["depends_on"]["nodes"]
    assert "model.motcua_kpi.eval_case_membership" in exposures["officer_statement"]["depends_on"]["nodes"]
    # the one static page carries all of it
    page = (docs / "index.html").read_text(encoding="utf-8")
    assert "How to read a KPI" in page and "officer_statement" in page
    assert re.search(r'\\\\?"marts\\\\?"\.\\\\?"kpi_officer_monthly', page)
    assert not re.search(rf'{BUILD_SCHEMA}\\\\?"\.\\\\?"kpi_officer_monthly', page)


def test_the_page_opens_on_the_project_overview_offline(docs, tmp_path):
    # the markdown is rendered by the page's scripts: its headings exist only in the browser's DOM
    headings = re.compile(r'<h([12]) id="([a-z0-9-]+)">([^<]+)</h\1>')
    assert headings.findall((docs / "index.html").read_text(encoding="utf-8")) == []
    dom, console = _chromium_dom(docs / "index.html", tmp_path / "chromium")
    rendered = [(level, text) for level, _, text in headings.findall(dom)]
    assert rendered[:3] == [("1", "motcua-kpi: KPI marts of the one-stop shops (Bộ phận Một cửa)"),
                            ("2", "The data path"), ("2", "How to read a KPI")], dom[:3000]
    assert 'id="welcome"' not in dom         # dbt's generic overview
    assert _console_errors(console) == []


def test_serve_answers_on_localhost_and_stops_on_sigterm(docs):
    server = subprocess.Popen([sys.executable, "-m", "motcua", "docs", "serve", "--port", "0"], cwd=PROJECT_ROOT,
                              env={**dbt_env("unused"), "MOTCUA_DBT_DOCS_DIR": str(docs)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line + server.stderr.read()
        with urllib.request.urlopen(url.group(0) + "index.html", timeout=30) as response:
            assert response.status == 200 and b"How to read a KPI" in response.read()
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0


def test_build_with_the_database_down_is_one_line_and_exit_2(tmp_path, services):
    # port 1: nothing listens there, so the catalog query is refused at once
    done = subprocess.run([sys.executable, "-m", "motcua", "docs", "build", "--out", str(tmp_path)], capture_output=True,
                          text=True, env={**dbt_env("motcua"), "PGPORT": "1"}, cwd=PROJECT_ROOT, timeout=300)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert 'port 1 failed: Connection refused' in done.stderr and "make up" in done.stderr
    assert not (tmp_path / "index.html").exists()
