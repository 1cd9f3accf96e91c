"""Write statements: one officer's page, or an agency's pages and their index (HTML, optional PDF)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import psycopg

from motcua import db
from motcua.statement import data, render
from motcua.statement.periods import Period

ROLE = "auditor"   # reads marts, lineage and the publication history; never the raw layer's personal data


def _connect(dbname: str | None) -> psycopg.Connection:
    conn = db.connect(ROLE, dbname, autocommit=False)
    # one read-only snapshot: every table of a statement comes from the same publication
    conn.execute("set transaction isolation level repeatable read, read only")
    conn.execute("set time zone 'Asia/Ho_Chi_Minh'")      # dates shown are local dates
    return conn


def _write(html: str, path: Path, pdf: bool) -> list[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    written = [path]
    if pdf:
        written.append(render.write_pdf(path, path.with_suffix(".pdf")))
    return written


def _officer_pages(conn: psycopg.Connection, officer_id: str, period: Period, out: Path, *, lang: str, pdf: bool,
                   settings: dict[str, Decimal], index_href: str | None = None) -> list[Path]:
    content = data.load(conn, officer_id, period)
    html = render.statement_html(content, settings, lang, index_href=index_href)
    path = out / render.file_name(officer_id, period.text)
    written = _write(html, path, False)
    if pdf:
        # the printed copy lists every case (the screen copy folds long lists)
        printable = render.statement_html(content, settings, lang, for_print=True)
        tmp = path.with_name(path.stem + ".print.html")
        tmp.write_text(printable, encoding="utf-8")
        try:
            written.append(render.write_pdf(tmp, path.with_suffix(".pdf")))
        finally:
            tmp.unlink(missing_ok=True)
    return written


def officer_statement(officer_id: str, period: Period, out: Path, *, lang: str = "vi", pdf: bool = False,
                      dbname: str | None = None, settings: dict[str, Decimal]) -> list[Path]:
    with _connect(dbname) as conn:
        return _officer_pages(conn, officer_id, period, out, lang=lang, pdf=pdf, settings=settings)


def agency_statements(agency_code: str, period: Period, out: Path, *, lang: str = "vi", pdf: bool = False,
                      dbname: str | None = None, settings: dict[str, Decimal]) -> list[Path]:
    """Every officer's statement of the agency for the period, then index.html linking them."""
    folder = out / render.file_name(agency_code, period.text).removesuffix(".html")
    with _connect(dbname) as conn:
        officers = data.agency_officers(conn, agency_code, period)
        if not officers:
            raise data.NotPublished(f"agency {agency_code!r} has no published evaluation for {period.text}")
        written: list[Path] = []
        for o in officers:
            pages = _officer_pages(conn, o["officer_id"], period, folder, lang=lang, pdf=pdf, settings=settings,
                                   index_href="index.html")
            o["href"] = pages[0].name
            written += pages
        groups = data.agency_groups(conn, agency_code, period)
        name = conn.execute("select agency_name from marts.agencies where agency_code = %s", (agency_code,)).fetchone() \
            if conn.execute("select to_regclass('marts.agencies') is not null").fetchone()[0] else None
    html = render.index_html(agency_code, name[0] if name else None, period.text, officers, groups, lang)
    written += _write(html, folder / "index.html", False)
    return written
