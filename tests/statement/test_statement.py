"""`motcua statement`: the officer's statement from the published evaluation marts (hand-written
rows, tests/statement/eval_marts.py), in HTML, PDF and a real browser with no network."""
from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from ingestion.settings import PROJECT_ROOT
from motcua.statement.__main__ import main
from tests.conftest import fresh_database
from tests.expectations.test_data_docs_browser import _chromium_dom, _console_errors
from tests.statement import eval_marts as em


class Page(HTMLParser):
    """Text by element id, table rows by class, and the tags an attacker would want."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}      # tr class -> rows of cell texts
        self.row_attrs: dict[str, list[dict[str, str]]] = {}
        self.tags: dict[str, int] = {}
        self.links: list[str] = []
        self._open: list[tuple[str, str | None]] = []   # (tag, id) of elements with an id
        self._row: tuple[str, list[str]] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "a":
            self.links.append(a.get("href", ""))
        if "id" in a:
            self.by_id[a["id"]] = ""
            self._open.append((tag, a["id"]))
        elif tag not in ("br", "meta", "img"):
            self._open.append((tag, None))
        if tag == "tr" and a.get("class"):
            self._row = (a["class"], [])
            self.row_attrs.setdefault(a["class"], []).append(a)
        if tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row[1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.setdefault(self._row[0], []).append(self._row[1])
            self._row = None
        while self._open:
            t, _ = self._open.pop()
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, ident in self._open:
            if ident is not None:
                self.by_id[ident] += data
        if self._cell is not None:
            self._cell.append(data)

    def text(self, ident: str) -> str:
        return " ".join(self.by_id[ident].split())


def _statement(dbname: str, out: Path, *args: str) -> tuple[int, list[Path]]:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["--database", dbname, "--out", str(out), *args])
    return code, [Path(line) for line in buf.getvalue().splitlines()]


def test_the_statement_shows_every_figure_behind_the_band(published, tmp_path):
    code, written = _statement(published, tmp_path, "--officer", em.OFFICER, "--period", "2026-03")
    assert code == 0 and written == [tmp_path / "SKHDT-CB02_2026-03.html"]
    html = written[0].read_text(encoding="utf-8")
    page = Page(html)

    assert page.text("officer") == "SKHDT-CB02"
    assert page.text("task-points") == "66,57" and page.text("general-points") == "27"
    assert page.text("total") == "93,57"
    assert page.text("band-before") == "Hoàn thành xuất sắc nhiệm vụ"
    assert page.text("band") == "Hoàn thành tốt nhiệm vụ"
    assert page.text("rank") == "3" and page.text("flags") == "hạ xuống do hạn mức xuất sắc"
    assert page.text("band-rule") == (
        "Căn cứ xếp loại: Ở nhóm này có 12 công chức được xếp loại xuất sắc hoặc tốt; tối đa 2 người giữ mức "
        "xuất sắc (số xuất sắc không vượt quá 20 % số xếp loại tốt: ⌊0,2 × 12 ÷ 1,2⌋ = 2); ông/bà xếp thứ 3 nên "
        "được xếp Hoàn thành tốt nhiệm vụ.")

    # each KPI: factual and evaluation values side by side, target, weights, points, cases counted
    kpis = {attrs["data-kpi"]: row for attrs, row in zip(page.row_attrs["kpi"], page.rows["kpi"])}
    assert kpis["on_time_rate"] == ["Tỷ lệ hồ sơ được giải quyết đúng hạn", "80 %", "90 %", "98 %càng cao càng tốt",
                                    "30", "42", "38,57", "10", "1"]
    assert kpis["throughput_per_working_day"][6] == "không chấm: chưa có chỉ tiêu"
    assert kpis["complaint_rate"][1:4] == ["0 %", "0 %", "0,5 %càng thấp càng tốt"]
    assert kpis["avg_rating"][1:8] == ["4,6", "4,6", "4,5càng cao càng tốt", "10", "14", "14", "5"]

    # the cases behind the on-time rate: ten, the exempted one with its decision
    on_time = [row for attrs, row in zip(page.row_attrs["case"], page.rows["case"]) if attrs["data-kpi"] == "on_time_rate"]
    assert [r[0] for r in on_time] == em.CASES
    assert on_time[8] == [em.CASES[8], "1.001612 — Đăng ký thành lập doanh nghiệp tư nhân", "2026-03-10", "2026-03-16",
                          "trễ hạn", "có", "có", "123/QĐ-UBND (miễn trễ hạn)"]
    assert on_time[9][4:] == ["trễ hạn", "không", "có", "—"]
    assert len(page.rows["case"]) == 10 + 10 + 10 + 5

    # a value carrying markup is shown as text, never run
    assert on_time[2][1] == f"1.001612 — {em.MALICIOUS}"
    assert page.text("unit") == em.UNIT
    assert page.tags.get("script", 0) == 0 and page.tags.get("img", 0) == 0
    assert "&lt;script&gt;document.title=&#34;pwned&#34;&lt;/script&gt;" in html

    # criteria per assessor role, the assessment versions, the revision history
    assert "Thủ trưởng trực tiếp" in html and "Đồng nghiệp" in html and "Tự đánh giá" in html
    assert "Khả năng phối hợp công việc" in html          # the criterion's name, from kpi_models/eval_criteria.csv
    assert em.MANAGER_EVENT in html and em.OLD_MANAGER_EVENT in html
    assert page.rows["revision"] == [
        ["#1", "2026-04-01", "hạ do hạn mức", "—", "0", "công bố lần đầu"],
        ["#1", "2026-04-01", "điểm nhiệm vụ", "—", "64,2", "công bố lần đầu"],
        ["#1", "2026-04-01", "tổng điểm", "—", "91,2 (Hoàn thành xuất sắc nhiệm vụ)", "công bố lần đầu"],
        ["#2", "2026-04-05", "hạ do hạn mức", "0", "1", "điều chỉnh"],
        ["#2", "2026-04-05", "điểm nhiệm vụ", "64,2", "66,5714", "điều chỉnh"],
        ["#2", "2026-04-05", "tổng điểm", "91,2 (Hoàn thành xuất sắc nhiệm vụ)", "93,5714 (Hoàn thành xuất sắc nhiệm vụ)",
         "điều chỉnh"],
    ]
    # no CDN, no external font: nothing on the page points outside it
    assert "http://" not in html.replace(em.UNIT.split('"')[1], "") and "https://" not in html
    assert "@import" not in html and "url(" not in html


def test_a_quarter_in_english_shows_its_months(published, tmp_path):
    code, written = _statement(published, tmp_path, "--officer", em.OFFICER, "--period", "2026-Q1", "--lang", "en")
    assert code == 0
    page = Page(written[0].read_text(encoding="utf-8"))
    assert page.text("total") == "86.79" and page.text("band") == "Good (Hoàn thành tốt nhiệm vụ)"
    assert page.text("band-rule") == (
        "Why this band: A total of 86.79 lies from 70 to below 90, hence Good (Hoàn thành tốt nhiệm vụ); the quota "
        "only limits how many keep the excellent band, so it does not change this one.")
    assert [r[0] for r in page.rows.get("kpi", [])] == ["2026-03"] * 4     # the quarter's KPIs are its months'
    assert "2026-02" in page.by_id["months"] and "Pending: not enough data" in page.by_id["months"]


def test_a_pending_officer_reads_why(published, tmp_path):
    code, written = _statement(published, tmp_path, "--officer", "SKHDT-CB22", "--period", "2026-03")
    page = Page(written[0].read_text(encoding="utf-8"))
    assert code == 0 and page.text("total") == "—" and page.text("band") == "Chưa đủ dữ liệu"
    assert page.text("pending") == ("chưa có phiếu đánh giá hợp lệ của thủ trưởng trực tiếp cho kỳ này, "
                                    "nên chưa có điểm tiêu chí chung")


def test_the_pdf_is_printed(published, tmp_path):
    code, written = _statement(published, tmp_path, "--officer", em.OFFICER, "--period", "2026-03", "--pdf")
    assert code == 0 and [p.suffix for p in written] == [".html", ".pdf"]
    assert written[1].read_bytes()[:5] == b"%PDF-" and written[1].stat().st_size > 10_000
    assert not list(tmp_path.glob("*.print.html"))


def test_a_browser_without_network_shows_the_total_and_band(published, tmp_path):
    _, written = _statement(published, tmp_path, "--officer", em.OFFICER, "--period", "2026-03")
    dom, console = _chromium_dom(written[0], tmp_path / "chromium")
    page = Page(dom)
    assert page.text("total") == "93,57" and page.text("band") == "Hoàn thành tốt nhiệm vụ"
    assert "<title>Phiếu kết quả đánh giá · SKHDT-CB02 · 2026-03</title>" in dom     # the script never ran
    assert _console_errors(console) == [] and "CONSOLE" not in console


def test_the_agency_index_links_every_statement(published, tmp_path):
    code, written = _statement(published, tmp_path, "--agency", "SKHDT", "--period", "2026-03")
    assert code == 0 and written[-1] == tmp_path / "SKHDT_2026-03" / "index.html"
    index = Page(written[-1].read_text(encoding="utf-8"))
    officers = [r[0] for r in index.rows["officer"]]
    assert len(officers) == 14 and officers[:3] == ["SKHDT-CB10", "SKHDT-CB11", "SKHDT-CB02"]
    assert index.links == [f"{o}_2026-03.html" for o in officers]
    assert all((written[-1].parent / link).is_file() for link in index.links)
    assert officers[-1] == "SKHDT-CB22" and index.rows["officer"][-1][4] == "Chưa đủ dữ liệu"


def test_an_unknown_officer_and_unpublished_marts_are_one_line_exit_1(published, services, tmp_path):
    def run(dbname: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "motcua", "statement", "--database", dbname, "--out",
                               str(tmp_path), *args], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)

    done = run(published, "--officer", "SKHDT-CB99", "--period", "2026-03")
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "officer 'SKHDT-CB99' has no published evaluation for 2026-03" in done.stderr
    with fresh_database() as empty:
        done = run(empty, "--agency", "SKHDT", "--period", "2026-03")
    assert done.returncode == 1 and "evaluation marts are not published yet" in done.stderr
    done = run(published, "--officer", "X", "--period", "2026-13")
    assert done.returncode == 2 and "'2026-13' is not a period" in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_pdf_without_chromium_is_one_line_exit_2(published, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MOTCUA_CHROMIUM", str(tmp_path / "no-chromium"))
    code, _ = _statement(published, tmp_path, "--officer", em.OFFICER, "--period", "2026-03", "--pdf")
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "no chromium to print the PDF" in err and "drop --pdf" in err
    assert not list(tmp_path.glob("*.pdf"))
