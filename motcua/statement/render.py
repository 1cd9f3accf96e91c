"""HTML through Jinja2 (autoescaped: every value from the marts is escaped), PDF through headless
Chromium. The page is self-contained: inline CSS, no script, no font or image to fetch, so it
opens offline and prints the same everywhere.
"""
from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from motcua.errors import PermanentError
from motcua.eval_settings import band_of
from motcua.statement import explain
from motcua.statement.data import StatementData
from motcua.statement.labels import LABELS, MEASURES

TEMPLATES = Path(__file__).resolve().parent / "templates"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


class PdfError(PermanentError, RuntimeError):
    """Chromium is missing or could not print the page."""


@functools.lru_cache(maxsize=None)
def environment(lang: str) -> Environment:
    """One environment per language: templates compile once per process, not once per page."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["num"] = lambda v, digits=2: explain.num(v, lang, digits)
    env.filters["band"] = lambda v: explain.band(v, lang)
    env.filters["group"] = lambda v: explain.group(v, lang)
    env.filters["kpi_name"] = lambda v: explain.kpi_name(v, lang)
    env.filters["yesno"] = lambda v: "—" if v is None else LABELS[lang]["yes" if v else "no"]
    env.filters["day"] = lambda v: "—" if v is None else (v.date() if hasattr(v, "date") else v).isoformat()
    env.globals["kpi_value"] = lambda code, v: explain.kpi_value(code, v, lang)
    return env


def file_name(code: str, period_text: str) -> str:
    """`<code>_<period>.html` for an officer id or agency code: the code itself when it is safe,
    else a readable stem plus a short hash (two ids that differ only in unsafe characters never
    share a file)."""
    safe = _SAFE.sub("_", code)
    if safe != code or safe.startswith("."):
        safe = f"{safe[:60]}-{hashlib.sha256(code.encode()).hexdigest()[:8]}"
    return f"{safe}_{period_text}.html"


def _criteria_by_role(data: StatementData, lang: str) -> list[dict[str, Any]]:
    roles: dict[str, dict[str, Any]] = {}
    for c in data.criteria:
        role = roles.setdefault(c["assessor_role"], {"role": c["assessor_role"],
                                                     "label": explain.ROLES[lang].get(c["assessor_role"], c["assessor_role"]),
                                                     "rows": [], "total": Decimal(0)})
        role["rows"].append({**c, "criterion_label": explain.CRITERIA[lang].get(c["criterion_code"], c["criterion_code"]),
                             "assessment": c.get("assessment_event_id") or c.get("assessments_count")})
        role["total"] += Decimal(str(c["points"] or 0))
    for role in roles.values():
        if any(r["period"] != data.period.text for r in role["rows"]):
            role["total"] = None     # month rows of a quarter or year: a sum over months means nothing
    return list(roles.values())


def _history(data: StatementData, lang: str, settings: dict[str, Decimal]) -> list[dict[str, Any]]:
    """The history's rows in words; a total also shows the band it earns by the thresholds (the
    band itself is text, which the value history does not record)."""
    out = []
    for h in data.history:
        parts = [h["kpi_code"] and explain.kpi_name(h["kpi_code"], lang),
                 h["assessor_role"] and explain.ROLES[lang].get(h["assessor_role"], h["assessor_role"]),
                 h["criterion_code"] and explain.CRITERIA[lang].get(h["criterion_code"], h["criterion_code"])]
        measure = MEASURES[lang].get(h["measure"], h["measure"])
        is_total = h["table_name"] == "eval_officer_period" and h["measure"] == "total_points"
        bands = {side: (explain.band(band_of(h[side], settings), lang) if is_total and h[side] is not None else None)
                 for side in ("previous_value", "value")}
        out.append({**h, "figure": " · ".join([p for p in parts if p] + [measure]),
                    "change_label": LABELS[lang].get(h["change"], h["change"]),
                    "previous_band": bands["previous_value"], "band": bands["value"]})
    return out


def statement_html(data: StatementData, settings: dict[str, Decimal], lang: str, *,
                   for_print: bool = False, index_href: str | None = None) -> str:
    env = environment(lang)
    o = data.officer
    labels = dict(LABELS[lang])
    labels["task_points"] = labels["task_points"].format(task_max=explain.num(settings["task_max"], lang, 0))
    labels["general_points"] = labels["general_points"].format(general_max=explain.num(settings["general_max"], lang, 0))
    cases = {code: rows for code, rows in data.cases.items()}
    # cases behind a KPI row: its membership rows counted in the numerator or the denominator
    counted = {code: sum(1 for r in rows if r["counted_in_numerator"] or r["counted_in_denominator"])
               for code, rows in cases.items()}
    counted_by: dict[tuple[str, str], int] = {}
    for code, rows in cases.items():
        for r in rows:
            if r["counted_in_numerator"] or r["counted_in_denominator"]:
                counted_by[(code, r["period"])] = counted_by.get((code, r["period"]), 0) + 1
    kpis = [{**k, "not_scored_text": explain.not_scored(k.get("not_scored_reason"), lang, settings),
             "direction_text": explain.DIRECTION[lang].get(k.get("direction") or "", k.get("direction") or "")}
            for k in data.kpis]
    return env.get_template("statement.html.j2").render(
        lang=lang, L=labels, o=o, period=data.period, agency_name=data.agency_name, kpis=kpis,
        kpi_by_month=data.kpi_rows_grain == "month", cases=cases, counted=counted, counted_by=counted_by,
        kpi_codes=list(dict.fromkeys([k["kpi_code"] for k in data.kpis] + list(cases))),
        roles=_criteria_by_role(data, lang), assessments=data.assessments, group=data.group, months=data.months,
        history=_history(data, lang, settings), publication=data.publication,
        rule=explain.band_rule(o, data.group, settings, lang),
        pending=explain.pending_reasons(o.get("pending_reasons"), lang, settings),
        timeliness=explain.TIMELINESS[lang], scopes=explain.SCOPES[lang],
        open_cases=for_print or sum(len(r) for r in cases.values()) <= 200, index_href=index_href)


def index_html(agency_code: str, agency_name: str | None, period_text: str, officers: list[dict[str, Any]],
               groups: list[dict[str, Any]], lang: str) -> str:
    return environment(lang).get_template("index.html.j2").render(
        lang=lang, L=LABELS[lang], agency_code=agency_code, agency_name=agency_name, period=period_text,
        officers=officers, groups=groups)


def chromium() -> Path:
    found = os.environ.get("MOTCUA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found or not Path(found).exists():
        raise PdfError("no chromium to print the PDF: install Debian's chromium (apt-get install chromium) "
                       "or set MOTCUA_CHROMIUM, or drop --pdf")
    return Path(found)


def write_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> Path:
    """Print a page to PDF with headless Chromium, with every host name unresolvable (the page
    needs nothing from the network; this proves it and keeps printing offline)."""
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="motcua-chromium-") as profile:
        cmd = [str(browser), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PdfError(f"chromium did not print {html_path} within {timeout:g}s") from None
    if done.returncode != 0 or not pdf_path.is_file():
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise PdfError(f"chromium could not print {html_path} (exit {done.returncode}): {tail}")
    return pdf_path
