"""`motcua bi up` (make bi) on the real services: Superset installed in its own virtualenv (once;
cached in the state folder), provisioned from bi/assets on a database whose marts the nightly's
dbt build and publish filled (tests/bi/scenario.py), serving on 127.0.0.1 only.

Then, as a BI user would see it:
- Superset's chart-data API answers every chart of every dashboard with rows, and the figures
  are the hand-computed ones of the scenario (as motcua_bi, read-only);
- each dashboard page, logged in, in headless Chromium with no host name resolvable but
  127.0.0.1, asks for every chart's data, gets rows back, and draws every chart with no error and
  no "no results" panel, under a filter bar showing the dashboard's native filters; a screenshot
  of each is saved under <state>/test-output/bi/ and printed;
- the native filters are imported on their column and charts, and choosing an agency, an officer,
  a month narrows the charts to that agency's, officer's, month's hand-computed figures (through
  the chart-data API as the dashboard sends it, and on the page with the filters preset in its URL).

Hand-computed figures (scenario: tests/dbt/eval_scenario.py + SXD in April, as of 2026-04-30):
- on-time rate, SKHDT, March: R1 5 on time of 5, P1 8 of 10 (C01, C11 late), P2 0 of 5 -> 13 / 20 = 0.65.
- Decision 766 progress index, SNV, January: 5 completed on time (P3), 5 open overdue (T1's TJ12-16,
  due in January) -> (5 + 0) / (5 + 0 + 5 + 0) = 0.5; SXD, April: nothing completed, XO1 and XO2
  overdue, XR1 waiting -> 0 / 3 = 0.
- OpenCPS counts, April, all agencies: on time 5 (P3's April cases), early 0, late 0, open within
  deadline 0, overdue 5 (TJ) + 2 (XO1, XO2) = 7, waiting 1 (XR1), withdrawn 1 (XW1).
- bands, March (method v1): excellent A01, A02, B01 = 3; good A03-A12 (10) + B02-B12 (11) + R1, P1,
  P3 = 24; pass L1 = 1; fail P2 = 1.
- SXD alone, April (agency and month filters): OpenCPS counts on time 0, early 0, late 0, open within
  deadline 0, overdue 2 (XO1, XO2), waiting 1 (XR1), withdrawn 1 (XW1); progress index 0.
- P3 alone (officer filter), March: 5 cases completed (P3-03-02..06), all on time -> on-time rate 1.0,
  one KPI row (P3 also completes 5 in January, February and April, which the month filter drops);
  band in March: good (one officer).
- due soon now: every open case not waiting is long overdue: TJ12-TJ16 (SNV) and XO1, XO2 (SXD);
  XR1 waits for the applicant, XW1 was withdrawn, none listed. TJ12 (received 12 January 09:00)
  is due the same day at 16:00, Vietnam time, which the list shows as such.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import datetime, timezone
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import yaml

from motcua.settings import PROJECT_ROOT, local_secret, state_dir
from tests.bi.browser import Browser
from tests.bi.scenario import build_and_publish
from tests.conftest import fresh_database

ASSETS = PROJECT_ROOT / "bi" / "assets"
SLUGS = ("motcua-agency-overview", "motcua-officers", "motcua-due-soon")
# what each chart holder of the page shows: errors, "no results" panels, drawn canvases or svgs, table rows
CHART_STATE_JS = """JSON.stringify(Array.from(document.querySelectorAll('[data-test="chart-grid-component"]')).map(c => ({
  title: (c.querySelector('[data-test="editable-title"]') || {}).textContent || '',
  errors: c.querySelectorAll('.ant-alert-error, [data-test="error-tooltip"]').length,
  empty: c.querySelectorAll('.ant-empty, [data-test="empty-state"]').length,
  drawn: c.querySelectorAll('canvas, svg').length,
  rows: c.querySelectorAll('table tbody tr').length,
  text: c.innerText.slice(0, 300)})))"""
# the names the native filter bar shows, when it is drawn; and each filter's value as shown
FILTER_BAR_JS = """JSON.stringify(Array.from(document.querySelectorAll(
  '[data-test="filter-bar"] [data-test="filter-control-name"]')).filter(e => e.offsetWidth > 0).map(e => e.innerText.trim()))"""
FILTER_VALUES_JS = """JSON.stringify(Object.fromEntries(Array.from(document.querySelectorAll(
  '[data-test="filter-bar"] [data-test="filter-control-name"]')).map(e => [e.innerText.trim(),
  ((e.closest('.ant-form-item') || e.parentElement.parentElement).querySelector('[data-test="form-item-value"]') || {}).innerText])))"""


def _expected_charts() -> dict[str, set[str]]:
    """Dashboard slug -> the chart names its YAML lays out."""
    charts = {yaml.safe_load(p.read_text(encoding="utf-8"))["uuid"]: yaml.safe_load(p.read_text(encoding="utf-8"))["slice_name"]
              for p in (ASSETS / "charts").glob("*.yaml")}
    out = {}
    for path in (ASSETS / "dashboards").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        out[doc["slug"]] = {charts[item["meta"]["uuid"]] for item in doc["position"].values()
                            if isinstance(item, dict) and item.get("type") == "CHART"}
    return out


def _native_filters() -> dict[str, list[dict[str, Any]]]:
    """Dashboard slug -> its YAML's native filter configuration."""
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in (ASSETS / "dashboards").glob("*.yaml")]
    return {doc["slug"]: doc["metadata"]["native_filter_configuration"] for doc in docs}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> set[str]:
    """Addresses with a listening TCP socket on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                raw = bytes.fromhex(address)
                found.add(socket.inet_ntoa(raw[::-1]) if len(raw) == 4 else "ipv6:" + raw.hex())
    return found


def _motcua_bi(env: dict[str, str], *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "motcua", "bi", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def marts_db(services, tmp_path_factory) -> Iterator[str]:
    with fresh_database() as name:
        build_and_publish(name, tmp_path_factory.mktemp("dbt_target"))
        yield name


@pytest.fixture(scope="module")
def superset(marts_db, tmp_path_factory) -> Iterator[dict[str, Any]]:
    """`motcua bi up` twice (the second is the idempotent re-run), then `down`."""
    port = _free_port()
    env = dict(os.environ, PGDATABASE=marts_db, SUPERSET_PORT=str(port),
               MOTCUA_SUPERSET_HOME=str(tmp_path_factory.mktemp("superset_home")))
    # the first run may install Superset (minutes, once per state folder)
    first = _motcua_bi(env, "up", timeout=2400)
    try:
        assert first.returncode == 0, f"motcua bi up failed:\n{first.stdout}\n{first.stderr}"
        second = _motcua_bi(env, "up", timeout=600)
        assert second.returncode == 0, f"motcua bi up (again) failed:\n{second.stdout}\n{second.stderr}"
        yield {"url": f"http://127.0.0.1:{port}", "first": first.stdout, "second": second.stdout, "env": env}
    finally:
        down = _motcua_bi(env, "down", timeout=120)
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="module")
def api(superset) -> requests.Session:
    """A REST client logged in as the admin (JWT), the password from the secrets file."""
    s = requests.Session()
    got = s.post(f"{superset['url']}/api/v1/security/login", timeout=30,
                 json={"username": "admin", "password": local_secret("MOTCUA_SUPERSET_ADMIN_PASSWORD"),
                       "provider": "db", "refresh": False})
    assert got.status_code == 200, got.text
    s.headers["Authorization"] = f"Bearer {got.json()['access_token']}"
    return s


def _chart_data(api: requests.Session, base: str, slug: str) -> dict[str, dict[str, Any]]:
    """Chart name -> the first result of GET /api/v1/chart/<id>/data/ (the chart's saved query)."""
    charts = api.get(f"{base}/api/v1/dashboard/{slug}/charts", timeout=30)
    assert charts.status_code == 200, charts.text
    out = {}
    for chart in charts.json()["result"]:
        got = api.get(f"{base}/api/v1/chart/{chart['id']}/data/", timeout=120)
        assert got.status_code == 200, (chart["slice_name"], got.text[:1000])
        out[chart["slice_name"]] = got.json()["result"][0]
    return out


def _by(rows: list[dict[str, Any]], *keys: str) -> dict[tuple, dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in rows}


MARCH, APRIL, JANUARY = 1772323200000, 1775001600000, 1767225600000   # 2026-03-01, 04-01, 01-01 (epoch ms)


def test_bi_up_serves_the_dashboards_on_loopback_twice_without_changes(superset, api):
    base = superset["url"]
    for slug in SLUGS:
        assert f"{base}/superset/dashboard/{slug}/" in superset["first"]
        assert f"{base}/superset/dashboard/{slug}/" in superset["second"]
    ids = lambda out: re.findall(r"/superset/dashboard/([a-z-]+)/\s+\(id (\d+)\)", out)  # noqa: E731
    assert ids(superset["first"]) == ids(superset["second"])         # re-import overwrites, never duplicates
    assert "already running" in superset["second"]
    # one of each object, whatever the number of runs
    for kind, count in (("dashboard", 3), ("chart", len(list((ASSETS / "charts").glob("*.yaml")))),
                        ("dataset", len(list((ASSETS / "datasets").rglob("*.yaml")))), ("database", 1)):
        got = api.get(f"{base}/api/v1/{kind}/", params={"q": "(page_size:100)"}, timeout=30)
        assert got.status_code == 200 and got.json()["count"] == count, (kind, got.text[:500])
    # the warehouse connection: the read-only BI role, password masked, no DML, no upload
    database = api.get(f"{base}/api/v1/database/", timeout=30).json()["result"][0]
    detail = api.get(f"{base}/api/v1/database/{database['id']}/connection", timeout=30).json()["result"]
    assert detail["database_name"] == "motcua_bi"
    assert detail["sqlalchemy_uri"].startswith("postgresql+psycopg2://motcua_bi:XXXXXXXXXX@")
    assert detail["allow_dml"] is False and detail["allow_file_upload"] is False
    assert "default_transaction_read_only=on" in detail["extra"]
    # every dataset reads marts.*
    datasets = api.get(f"{base}/api/v1/dataset/", params={"q": "(page_size:100)"}, timeout=30).json()["result"]
    assert {d["schema"] for d in datasets} == {"marts"}
    # 127.0.0.1 only: the port answers there and nowhere else this machine listens
    assert _listening(int(base.rsplit(":", 1)[1])) == {"127.0.0.1"}


def test_chart_data_api_returns_the_hand_computed_figures(superset, api):
    base = superset["url"]
    expected = _expected_charts()
    data = {slug: _chart_data(api, base, slug) for slug in SLUGS}
    for slug in SLUGS:
        assert set(data[slug]) == expected[slug]
        empty = [name for name, result in data[slug].items() if not result["rowcount"]]
        assert empty == [], f"{slug}: charts without rows: {empty}"

    agency = data["motcua-agency-overview"]
    on_time = _by(agency["Tỷ lệ giải quyết đúng hạn theo tháng · On-time rate by month"]["data"], "agency_code", "month")
    assert on_time[("SKHDT", MARCH)]["on_time_rate_agg"] == pytest.approx(0.65)
    progress = _by(agency["Chỉ số tiến độ 2.1 (QĐ 766) · Progress index (Decision 766)"]["data"], "agency_code", "month")
    assert progress[("SNV", JANUARY)]["progress_index_766_agg"] == pytest.approx(0.5)
    assert progress[("SXD", APRIL)]["progress_index_766_agg"] == 0
    counts = _by(agency["Tình hình giải quyết hồ sơ (OpenCPS) · Case counts: early, on time, late, open, overdue, "
                       "waiting, withdrawn"]["data"], "month")
    assert {k: v for k, v in counts[(APRIL,)].items() if k != "month"} == {
        "early_sum": 0, "on_time_sum": 5, "late_sum": 0, "open_within_deadline_sum": 0, "open_overdue_sum": 7,
        "waiting_sum": 1, "withdrawn_sum": 1}

    bands = _by(data["motcua-officers"]["Phân bố xếp loại theo tháng (NĐ 335) · Distribution of bands by month"]["data"],
                "period", "band_label")
    march = {label: row["officers"] for (period, label), row in bands.items() if period == "2026-03"}
    assert {k: v for k, v in march.items() if not k.startswith("5 ")} == {
        "1 Hoàn thành xuất sắc / Excellent": 3, "2 Hoàn thành tốt / Good": 24, "3 Hoàn thành / Pass": 1,
        "4 Không hoàn thành / Fail": 1}

    due = data["motcua-due-soon"]
    listed = due["Danh sách hồ sơ sắp đến hạn, quá hạn hôm nay · Today's list: due soon and overdue"]["data"]
    assert sorted((r["agency_code"], r["case_id"], r["status_label"]) for r in listed) == sorted(
        [("SNV", f"TJ{d}", "Quá hạn / Overdue") for d in range(12, 17)]
        + [("SXD", "XO1", "Quá hạn / Overdue"), ("SXD", "XO2", "Quá hạn / Overdue")])
    # the deadline as Vietnamese wall time (Superset shows instants unconverted): TJ12 due 12 January 16:00 local
    tj12 = next(r for r in listed if r["case_id"] == "TJ12")
    assert tj12["effective_due_local"] == datetime(2026, 1, 12, 16, 0, tzinfo=timezone.utc).timestamp() * 1000
    per_agency = _by(due["Số hồ sơ sắp đến hạn, quá hạn theo cơ quan · Due soon and overdue per agency"]["data"],
                     "agency_code")
    assert {k[0]: (v["due_soon_cases"], v["overdue_cases"]) for k, v in per_agency.items()} == {"SNV": (0, 5), "SXD": (0, 2)}


def _browser_login(base: str) -> str:
    """The session cookie of the login form (what a person typing the password gets)."""
    s = requests.Session()
    page = s.get(f"{base}/login/", timeout=30).text
    token = re.search(r'name="csrf_token"\s+id="csrf_token"\s+value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    done = s.post(f"{base}/login/", allow_redirects=False, timeout=30,
                  data={"username": "admin", "password": local_secret("MOTCUA_SUPERSET_ADMIN_PASSWORD"),
                        "csrf_token": token.group(1)})
    assert done.status_code == 302 and "session" in s.cookies, done.text[:500]
    return s.cookies["session"]


def test_each_dashboard_renders_every_chart_with_data_in_a_browser(superset, api, tmp_path, capsys):
    base = superset["url"]
    expected = _expected_charts()
    filters = {slug: [f["name"] for f in config] for slug, config in _native_filters().items()}
    out_dir = state_dir() / "test-output" / "bi"
    browser = Browser(tmp_path / "chromium")
    shots = []
    try:
        browser.set_cookie(base, "session", _browser_login(base))
        for slug in SLUGS:
            ids = {c["id"] for c in api.get(f"{base}/api/v1/dashboard/{slug}/charts", timeout=30).json()["result"]}
            run = browser.open_dashboard(f"{base}/superset/dashboard/{slug}/", len(ids))
            # the page asked for each chart's data (and the filter bar for its options) and got rows back
            assert {c.slice_id for c in run.calls} == ids | {None}, slug
            bad = [(c.slice_id, c.status, c.failed, c.rowcounts()) for c in run.calls
                   if c.status != 200 or c.failed or not c.rowcounts() or min(c.rowcounts()) == 0]
            assert bad == [], f"{slug}: chart-data calls without rows: {bad}"
            # and drew each chart: no error, no "no results", a canvas/svg or table rows
            state = browser.evaluate(CHART_STATE_JS)
            holders = json.loads(state)
            assert {h["title"] for h in holders} == expected[slug], slug
            wrong = [h for h in holders if h["errors"] or h["empty"] or not (h["drawn"] or h["rows"])]
            assert wrong == [], f"{slug}: charts not drawn: {wrong}"
            # the filter bar, open, with the dashboard's native filters
            assert json.loads(browser.evaluate(FILTER_BAR_JS)) == filters[slug], slug
            assert run.exceptions == [], f"{slug}: page errors: {run.exceptions[:3]}"
            shots.append(browser.screenshot(out_dir / f"{slug}.png"))
    finally:
        browser.close()
    assert all(p.stat().st_size > 20_000 for p in shots)          # a drawn page, not a blank one
    with capsys.disabled():
        print("\n" + "\n".join(f"screenshot: {p}" for p in shots))


BANDS = "Phân bố xếp loại theo tháng (NĐ 335) · Distribution of bands by month"
COUNTS = "Tình hình giải quyết hồ sơ (OpenCPS) · Case counts: early, on time, late, open, overdue, waiting, withdrawn"
PROGRESS = "Chỉ số tiến độ 2.1 (QĐ 766) · Progress index (Decision 766)"
KPI_TABLE = "KPI cán bộ so với chỉ tiêu · Officer KPIs against targets"
AGENCY, OFFICER, MONTH = "Cơ quan · Agency", "Cán bộ · Officer", "Tháng · Month"
# a month as the time filter's custom range sends it (start included, end excluded)
MARCH_RANGE, APRIL_RANGE = "2026-03-01T00:00:00 : 2026-04-01T00:00:00", "2026-04-01T00:00:00 : 2026-05-01T00:00:00"


def _filter(slug: str, name: str) -> dict[str, Any]:
    return next(f for f in _native_filters()[slug] if f["name"] == name)


def _extra_form_data(native_filter: dict[str, Any], value: Any) -> dict[str, Any]:
    """What a native filter adds to each chart in its scope once a value is chosen (the data mask's
    extraFormData): a time filter its time range, a select filter `column IN (values)`."""
    if native_filter["filterType"] == "filter_time":
        return {"time_range": value}
    return {"filters": [{"col": native_filter["targets"][0]["column"]["name"], "op": "IN", "val": value}]}


def _rison(value: Any) -> str:
    if isinstance(value, dict):
        return "(" + ",".join(f"{_rison(k)}:{_rison(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "!(" + ",".join(_rison(v) for v in value) + ")"
    return "'" + str(value).replace("!", "!!").replace("'", "!'") + "'"


def _preset_url(base: str, slug: str, chosen: dict[str, Any]) -> str:
    """The dashboard's URL with filter values chosen (filter name -> value), the way Superset's
    own links carry a filter bar's state (`native_filters`, rison)."""
    masks = {}
    for name, value in chosen.items():
        native_filter = _filter(slug, name)
        masks[native_filter["id"]] = {"id": native_filter["id"], "extraFormData": _extra_form_data(native_filter, value),
                                      "filterState": {"value": value}, "ownState": {}}
    return f"{base}/superset/dashboard/{slug}/?native_filters={quote(_rison(masks))}"


def _filtered_data(api: requests.Session, base: str, slug: str, title: str, chosen: dict[str, Any]) -> list[dict[str, Any]]:
    """A chart's rows with filter values chosen, asked as the dashboard asks: the chart's saved
    query, the filters' extra form data merged in (filters appended, time range set)."""
    charts = api.get(f"{base}/api/v1/dashboard/{slug}/charts", timeout=30).json()["result"]
    chart = api.get(f"{base}/api/v1/chart/{next(c['id'] for c in charts if c['slice_name'] == title)}",
                    timeout=30).json()["result"]
    context = json.loads(chart["query_context"])
    extra: dict[str, Any] = {"filters": []}
    for name, value in chosen.items():
        mask = _extra_form_data(_filter(slug, name), value)
        extra["filters"] += mask.get("filters", [])
        extra.update({k: v for k, v in mask.items() if k != "filters"})
    for query in context["queries"]:
        query["filters"] += extra["filters"]
        query["time_range"] = extra.get("time_range", query.get("time_range"))
    context["form_data"] = dict(context["form_data"], slice_id=chart["id"], extra_form_data=extra)
    token = api.get(f"{base}/api/v1/security/csrf_token/", timeout=30).json()["result"]
    got = api.post(f"{base}/api/v1/chart/data", json=context, headers={"X-CSRFToken": token, "Referer": base}, timeout=120)
    assert got.status_code == 200, (title, got.text[:1000])
    return got.json()["result"][0]["data"]


def test_dashboards_carry_native_filters_on_their_column_and_charts(superset, api):
    """Read back from Superset (json_metadata): each filter's type, dataset, column and the charts
    it applies to (ids of this dashboard's charts, set at import)."""
    base = superset["url"]
    charts = _expected_charts()
    expected = {
        "motcua-agency-overview": [(AGENCY, "filter_select", "kpi_agency_monthly", "agency_code", charts["motcua-agency-overview"]),
                                   (MONTH, "filter_time", None, None, charts["motcua-agency-overview"])],
        "motcua-officers": [(AGENCY, "filter_select", "kpi_officer_monthly", "agency_code", charts["motcua-officers"]),
                            (OFFICER, "filter_select", "kpi_officer_monthly", "officer_id", charts["motcua-officers"]),
                            (MONTH, "filter_time", None, None, charts["motcua-officers"] - {BANDS})],
        "motcua-due-soon": [(AGENCY, "filter_select", "open_cases_due_soon", "agency_code", charts["motcua-due-soon"])]}
    datasets = {d["id"]: d["table_name"] for d in
                api.get(f"{base}/api/v1/dataset/", params={"q": "(page_size:100)"}, timeout=30).json()["result"]}
    for slug, want in expected.items():
        metadata = json.loads(api.get(f"{base}/api/v1/dashboard/{slug}", timeout=30).json()["result"]["json_metadata"])
        names = {c["id"]: c["slice_name"] for c in api.get(f"{base}/api/v1/dashboard/{slug}/charts", timeout=30).json()["result"]}
        configured = metadata["native_filter_configuration"]
        got = [(f["name"], f["filterType"], datasets.get(f["targets"][0].get("datasetId")),
                f["targets"][0].get("column", {}).get("name"), {names[i] for i in f["chartsInScope"]}) for f in configured]
        assert got == want, slug
        assert all(f["chartsInScope"] and f["tabsInScope"] == [] for f in configured), slug
    officers = json.loads(api.get(f"{base}/api/v1/dashboard/motcua-officers", timeout=30).json()["result"]["json_metadata"])
    by_name = {f["name"]: f for f in officers["native_filter_configuration"]}
    assert by_name[OFFICER]["cascadeParentIds"] == [by_name[AGENCY]["id"]]     # officers of the agencies chosen


def test_choosing_an_agency_and_a_month_narrows_the_charts_through_the_chart_data_api(superset, api):
    base = superset["url"]
    on_time = "Tỷ lệ giải quyết đúng hạn theo tháng · On-time rate by month"
    rows = _filtered_data(api, base, "motcua-agency-overview", on_time,
                          {AGENCY: ["SKHDT"], MONTH: MARCH_RANGE})
    assert [(r["agency_code"], r["month"], r["on_time_rate_agg"]) for r in rows] == [("SKHDT", MARCH, pytest.approx(0.65))]
    due_list = "Danh sách hồ sơ sắp đến hạn, quá hạn hôm nay · Today's list: due soon and overdue"
    listed = _filtered_data(api, base, "motcua-due-soon", due_list, {AGENCY: ["SXD"]})
    assert sorted((r["agency_code"], r["case_id"]) for r in listed) == [("SXD", "XO1"), ("SXD", "XO2")]   # TJ12-16 (SNV) gone
    due_per_agency = "Số hồ sơ sắp đến hạn, quá hạn theo cơ quan · Due soon and overdue per agency"
    per_agency = _filtered_data(api, base, "motcua-due-soon", due_per_agency, {AGENCY: ["SXD"]})
    assert [(r["agency_code"], r["due_soon_cases"], r["overdue_cases"]) for r in per_agency] == [("SXD", 0, 2)]


def test_filters_chosen_on_the_page_narrow_every_chart_to_the_hand_computed_figures(superset, api, tmp_path):
    """The dashboards opened with filter values chosen: each chart asks for its data with them,
    the filter bar shows them, and the figures are those of the agency, officer and month alone."""
    base = superset["url"]
    browser = Browser(tmp_path / "chromium")
    try:
        browser.set_cookie(base, "session", _browser_login(base))
        pages = {}
        for slug, chosen in (("motcua-agency-overview", {AGENCY: ["SXD"], MONTH: APRIL_RANGE}),
                             ("motcua-officers", {OFFICER: ["P3"], MONTH: MARCH_RANGE})):
            charts = {c["id"]: c["slice_name"] for c in api.get(f"{base}/api/v1/dashboard/{slug}/charts", timeout=30).json()["result"]}
            run = browser.open_dashboard(_preset_url(base, slug, chosen), len(charts))
            bad = [(c.slice_id, c.status, c.failed) for c in run.calls if c.status != 200 or c.failed]
            assert bad == [] and run.exceptions == [], (slug, bad, run.exceptions[:3])
            holders = json.loads(browser.evaluate(CHART_STATE_JS))
            assert [h["title"] for h in holders if h["errors"]] == [], slug
            shown = json.loads(browser.evaluate(FILTER_VALUES_JS))
            browser.screenshot(state_dir() / "test-output" / "bi" / f"{slug}-filtered.png")
            pages[slug] = ({charts[c.slice_id]: c for c in run.calls if c.slice_id is not None}, shown)
    finally:
        browser.close()

    calls, shown = pages["motcua-agency-overview"]
    assert shown[AGENCY] == "SXD"
    for call in calls.values():          # every chart was asked with the agency and the month
        query = call.body["queries"][0]
        assert {"col": "agency_code", "op": "IN", "val": ["SXD"]} in query["filters"]
        assert query["time_range"] == APRIL_RANGE
    counts = calls[COUNTS].response["result"][0]["data"]
    assert counts == [{
        "month": APRIL, "early_sum": 0, "on_time_sum": 0, "late_sum": 0, "open_within_deadline_sum": 0,
        "open_overdue_sum": 2, "waiting_sum": 1, "withdrawn_sum": 1}]
    assert calls[PROGRESS].response["result"][0]["data"] == [{"month": APRIL, "SXD": 0}]

    calls, shown = pages["motcua-officers"]
    assert shown[OFFICER] == "P3"
    kpi = calls[KPI_TABLE].response["result"][0]["data"]
    assert [(r["officer_id"], r["agency_code"], r["month"], r["cases_completed"], r["on_time_rate"]) for r in kpi] == [
        ("P3", "SNV", MARCH, 5, 1.0)]
    # the bands chart is by evaluation period, out of the month filter's scope: P3's periods, one officer each
    bands = calls[BANDS].response["result"][0]["data"]
    march = next(r for r in bands if r["period"] == "2026-03")
    assert march["2 Hoàn thành tốt / Good"] == 1
    assert len(bands) > 1 and all(sum(v or 0 for k, v in r.items() if k != "period") == 1 for r in bands)


def test_a_chart_broken_in_the_ui_fails_the_page_check_and_make_bi_puts_it_back(superset, api, tmp_path):
    """The page check above can fail: a chart edited in Superset to read a column that does not
    exist shows its error, the page's request gets no rows; `motcua bi up` then restores the YAML's
    chart (dashboards are code: an edit made only in the UI does not survive a provisioning)."""
    base, slug = superset["url"], "motcua-due-soon"
    title = "Số hồ sơ sắp đến hạn, quá hạn theo cơ quan · Due soon and overdue per agency"
    charts = api.get(f"{base}/api/v1/dashboard/{slug}/charts", timeout=30).json()["result"]
    chart_id = next(c["id"] for c in charts if c["slice_name"] == title)
    params = json.loads(api.get(f"{base}/api/v1/chart/{chart_id}", timeout=30).json()["result"]["params"])
    params["metrics"] = [{"expressionType": "SQL", "sqlExpression": "SUM(no_such_column)", "label": "broken"}]
    token = api.get(f"{base}/api/v1/security/csrf_token/", timeout=30).json()["result"]
    edited = api.put(f"{base}/api/v1/chart/{chart_id}", json={"params": json.dumps(params)},
                     headers={"X-CSRFToken": token, "Referer": base}, timeout=30)
    assert edited.status_code == 200, edited.text[:500]

    browser = Browser(tmp_path / "chromium")
    try:
        browser.set_cookie(base, "session", _browser_login(base))
        run = browser.open_dashboard(f"{base}/superset/dashboard/{slug}/", len(charts))
        state = {h["title"]: h for h in json.loads(browser.evaluate(CHART_STATE_JS))}
    finally:
        browser.close()
    assert [c.status for c in run.calls if c.slice_id == chart_id] == [400]
    assert state[title]["errors"] == 1 and "no_such_column" in state[title]["text"]
    others = [h for t, h in state.items() if t != title]
    assert others and all(h["errors"] == 0 and h["rows"] for h in others)

    again = _motcua_bi(superset["env"], "up", timeout=600)
    assert again.returncode == 0, again.stderr
    restored = api.get(f"{base}/api/v1/chart/{chart_id}/data/", timeout=60)
    assert restored.status_code == 200 and restored.json()["result"][0]["rowcount"] == 2
    assert json.loads(api.get(f"{base}/api/v1/chart/{chart_id}", timeout=30).json()["result"]["params"])["metrics"] == [
        "due_soon_cases", "overdue_cases"]
