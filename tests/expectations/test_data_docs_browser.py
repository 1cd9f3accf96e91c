"""Data Docs are self-contained: no page loads anything from the network, and a real browser
(headless Chromium, all host names unresolvable) renders the JavaScript-built tables.

Chromium is a test-only dependency that `make test` (scripts/test.sh) installs; the vendored
assets come from `make setup` (expectations/docs_assets). Neither missing is a reason to skip.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import great_expectations
import pytest

from expectations import run_gate
from expectations.docs_offline import assets_dir, make_offline
from tests.expectations import data
from tests.expectations.data import GATE_DAY

CHROMIUM = Path("/usr/bin/chromium")
SUITES = {"raw.case_events", "staging.stg_case_events", "staging.case_lifecycle", "marts.fct_cases",
          "marts.kpi_officer_monthly", "marts.kpi_officer_daily", "marts.kpi_agency_monthly", "marts.fct_due_soon_open_cases",
          "marts.fct_case_flags", "marts.fairness_officer_monthly", "marts.eval_officer_period", "marts.eval_group_period",
          "marts.eval_inputs", "staging.staff_assessments"}


class _Refs(HTMLParser):
    """Asset references (script src, stylesheet href, img src) and the index's table rows."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.assets: list[str] = []
        self.row_links: list[str] = []     # <tr data-href>: rows bootstrap-table rendered
        self.data_index_rows = 0           # <tr data-index>: any bootstrap-table-rendered row
        self.table_containers = 0          # <div class="fixed-table-container">

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img") and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "link" and "stylesheet" in a.get("rel", "").lower().split() and a.get("href"):
            self.assets.append(a["href"])
        elif tag == "tr":
            if "data-href" in a:
                self.row_links.append(a["data-href"])
            if "data-index" in a:
                self.data_index_rows += 1
        elif tag == "div" and "fixed-table-container" in a.get("class", "").split():
            self.table_containers += 1


def _parse(html: str) -> _Refs:
    refs = _Refs()
    refs.feed(html)
    return refs


def _chromium_dom(page: Path, profile: Path) -> tuple[str, str]:
    """The DOM after the page's scripts ran, and the browser console output."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs chromium "
                    "(or, as root: apt-get install chromium)", pytrace=False)
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           # No host name resolves: a page that still needs a CDN cannot pass on a connected machine.
           "--host-resolver-rules=MAP * ~NOTFOUND",
           "--enable-logging=stderr", "--v=0",
           f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom", page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done.stdout, done.stderr


def _console_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if ":CONSOLE" in line and re.search(r"Uncaught|Failed to load|ERR_|blocked|Integrity", line)]


def _local_assets_resolve(site: Path) -> dict[str, list[str]]:
    """Per page, the assets that are external or point at a file that does not exist."""
    bad: dict[str, list[str]] = {}
    for page in site.rglob("*.html"):
        for ref in _parse(page.read_text(encoding="utf-8")).assets:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not (page.parent / unquote(parts.path)).resolve().is_file():
                bad.setdefault(str(page.relative_to(site)), []).append(ref)
    return bad


def test_data_docs_render_offline_in_a_browser(good_db, gate_config, tmp_path):
    assert (assets_dir() / "jquery").is_dir(), f"no vendored Data Docs assets in {assets_dir()}: run `make setup`"
    result = run_gate("all", GATE_DAY, dbname=good_db, config=gate_config)
    assert result.passed, result.summary()
    site = gate_config.data_docs_dir
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == 1 + 2 * len(SUITES)     # index, one suite page and one validation page each

    # Every script, stylesheet and image is a relative path to a file of the site.
    assert _local_assets_resolve(site) == {}
    assert (site / "static/vendor/@fortawesome/fontawesome-free/webfonts/fa-solid-900.woff2").is_file()

    # The index: GX embeds the results as data, bootstrap-table turns them into linked rows.
    by_suite = {o.suite: urlsplit(o.docs_url).path for o in result.outcomes}
    assert set(by_suite) == SUITES
    expected_rows = {Path(path).relative_to(site.resolve()).as_posix() for path in by_suite.values()}
    index = site / "index.html"
    raw = _parse(index.read_text(encoding="utf-8"))
    assert raw.row_links == [] and raw.table_containers == 0      # nothing rendered without JS
    dom_html, console = _chromium_dom(index, tmp_path / "chromium")
    dom = _parse(dom_html)
    # bootstrap-table draws 10 rows a page: the first page drawn, every row listed in the index
    drawn = {link for link in dom.row_links if link.startswith("validations/")}
    assert drawn <= expected_rows and len(drawn) == min(10, len(expected_rows)), dom_html[:2000]
    assert all(row in index.read_text(encoding="utf-8") for row in expected_rows)
    assert len([link for link in dom.row_links if link.startswith("expectations/")]) == min(10, len(SUITES))
    assert dom.table_containers >= 1
    assert _console_errors(console) == []

    # A validation page: its expectation tables are bootstrap-table tables too (rows gain a
    # data-index once initialised; the overview tables add rows beyond one per expectation).
    page = Path(by_suite["raw.case_events"])
    raw = _parse(page.read_text(encoding="utf-8"))
    assert raw.data_index_rows == 0 and raw.table_containers == 0
    dom_html, console = _chromium_dom(page, tmp_path / "chromium")
    dom = _parse(dom_html)
    assert dom.table_containers >= 1
    assert dom.data_index_rows >= sum(o.suite == "raw.case_events" for o in result.outcomes), dom_html[:2000]
    assert _console_errors(console) == []

    # Idempotent: another pass changes nothing; a second run rewrites only what GX re-rendered.
    before = {p: p.read_bytes() for p in pages}
    assert make_offline(site) == 0
    assert {p: p.read_bytes() for p in pages} == before
    run_gate("raw", GATE_DAY, dbname=good_db, config=gate_config)
    validations = sorted(site.glob("validations/**/*.html"))
    assert len(validations) == len(SUITES) + 1
    assert all(p.read_bytes() == before[p] for p in validations if p in before)
    assert _local_assets_resolve(site) == {}


def test_vendored_files_are_the_ones_gx_pins():
    """The npm files are byte-identical to the CDN files whose hashes GX's HTML carries."""
    template = Path(great_expectations.__file__).parent / "render/view/templates/js_script_imports.j2"
    pinned = re.findall(r'src="https://[^"]*/([^/"]+)" integrity="(sha384-[^"]+)"', template.read_text())
    assert {name for name, _ in pinned} == {"popper.min.js", "bootstrap.min.js"}
    files = {"popper.min.js": "popper.js/dist/umd/popper.min.js",
             "bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js"}
    for name, integrity in pinned:
        digest = hashlib.sha384((assets_dir() / files[name]).read_bytes()).digest()
        assert f"sha384-{base64.b64encode(digest).decode()}" == integrity, name


def test_missing_assets_warn_and_leave_the_pages(tmp_path, caplog):
    page = tmp_path / "site" / "index.html"
    page.parent.mkdir()
    html = '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
    page.write_text(html)

    with caplog.at_level(logging.WARNING, logger="expectations.docs_offline"):
        assert make_offline(page.parent, tmp_path / "no_node_modules") == 0

    assert page.read_text() == html
    assert "make setup" in caplog.text



def test_a_single_layer_run_keeps_the_pages_of_the_other_layers(good_db, gate_config):
    # The nightly DAG gates raw+staging, then marts, in two runs: the index built by the second
    # must not link to suite pages the second run deleted.
    run_gate("all", GATE_DAY, dbname=good_db, config=gate_config)
    run_gate("marts", GATE_DAY, dbname=good_db, config=gate_config)
    run_gate("raw", GATE_DAY, dbname=good_db, config=gate_config)

    site = gate_config.data_docs_dir
    # the index's tables are data for bootstrap-table (markup inside a script), so read them as text
    index = (site / "index.html").read_text()
    suite_pages = set(re.findall(r'href="(expectations/[^"]+?\.html)"', index))
    result_pages = set(re.findall(r"'_table_row_link_path': '(validations/[^']+?\.html)'", index))
    links = suite_pages | result_pages
    assert {Path(h).relative_to("expectations").with_suffix("").as_posix().replace("/", ".")
            for h in suite_pages} == SUITES
    assert len(result_pages) == 14 + 10 + 1      # all layers, then marts, then raw
    assert sorted(h for h in links if not (site / unquote(h)).is_file()) == []


def _rendered_rows(dom_html: str) -> dict[str, str]:
    """Index rows bootstrap-table rendered: link -> the row's markup."""
    rows = re.findall(r'<tr[^>]*data-href="([^"]+)"[^>]*>(.*?)</tr>', dom_html, re.S)
    return dict(rows)


def test_a_failed_warning_looks_like_a_warning_and_a_critical_failure_still_fails(good_db, gate_config, tmp_path):
    # One published case completed before it was received: a warning (recorded, never blocking).
    data.execute(good_db, f"""update {data.BUILD_SCHEMA}.fct_cases set completed_at = received_at - interval '1 hour'
        where case_id = (select min(case_id) from {data.BUILD_SCHEMA}.fct_cases where completed_at is not null)""",
                 role="transform")
    warned = run_gate("marts", GATE_DAY, dbname=good_db, config=gate_config)
    assert warned.passed and [w.expectation for w in warned.warnings] == ["fct_cases_completed_not_before_received"]
    site = gate_config.data_docs_dir
    fct_page = Path(urlsplit(next(o.docs_url for o in warned.outcomes if o.suite == "marts.fct_cases")).path)
    fct_link = fct_page.relative_to(site.resolve()).as_posix()

    # the index, as a browser draws it: the night's ten marts rows, fct_cases with ⚠, none with ✗
    dom_html, console = _chromium_dom(site / "index.html", tmp_path / "chromium")
    rows = {link: row for link, row in _rendered_rows(dom_html).items() if link.startswith("validations/")}
    assert len(rows) == 10, dom_html[:2000]
    assert "fa-exclamation-triangle" in rows[fct_link] and "fa-times" not in rows[fct_link]
    assert all("fa-check-circle" in row for link, row in rows.items() if link != fct_link)
    assert "ge-failed-icon" not in dom_html and _console_errors(console) == []
    # its page: "Passed with warnings", the warning's row ⚠, no ✗ anywhere
    page_dom, console = _chromium_dom(fct_page, tmp_path / "chromium")
    assert "Passed with warnings" in page_dom and "fa-times" not in page_dom
    assert re.search(r'fa-exclamation-triangle text-warning[^>]*>\s*</i>\s*</span>\s*</div></td><td[^>]*>\s*<div[^>]*>'
                     r'\s*<span[^>]*>\s*\[warning\] No published case was completed before it was received', page_dom)

    # A critical failure on top, in a second run: that validation keeps GX's ✗ and "Failed".
    data.execute(good_db, f"update {data.BUILD_SCHEMA}.kpi_officer_monthly set on_time_rate = 1.5"
                          f" where officer_id = (select min(officer_id) from {data.BUILD_SCHEMA}.kpi_officer_monthly)",
                 role="transform")
    blocked = run_gate("marts", GATE_DAY, dbname=good_db, config=gate_config)
    assert not blocked.passed
    page_of = {o.suite: Path(urlsplit(o.docs_url).path) for o in blocked.outcomes}
    monthly_link = page_of["marts.kpi_officer_monthly"].relative_to(site.resolve()).as_posix()
    fct_link_2 = page_of["marts.fct_cases"].relative_to(site.resolve()).as_posix()
    dom_html, _ = _chromium_dom(site / "index.html", tmp_path / "chromium")
    rows = _rendered_rows(dom_html)
    assert "fa-times" in rows[monthly_link] and "fa-exclamation-triangle" not in rows[monthly_link]
    # the first run's rows moved to the index's second page (12 rows, bootstrap-table draws 10 a
    # page): drawn above; here it is enough that the index still lists it
    assert "fa-exclamation-triangle" in rows[fct_link_2] and fct_link in (site / "index.html").read_text()
    monthly_page = page_of["marts.kpi_officer_monthly"].read_text(encoding="utf-8")
    assert "Passed with warnings" not in monthly_page and "</i> Failed" in monthly_page
