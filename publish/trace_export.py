"""The trace's files: CSV and JSON of the figure, its cases and their raw events, and a manifest
of the SHA-256 of every file (`sha256sum -c MANIFEST.sha256` checks them).

Personal data: a payload's `data.applicant` and free texts (`reason_text`, `comment`, `text`)
are withheld unless the caller asked for them (and logged the access, see audit_cli.py); the
SHA-256 of the original message bytes is always there, so the payload can be matched later.
"""
from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from publish.trace import TraceData

PERSONAL_FIELDS = ("applicant", "reason_text", "comment", "text")
MANIFEST = "MANIFEST.sha256"


def withhold_personal_data(payload_text: str | None) -> tuple[Any, list[str]]:
    """The payload without its personal data, and the names of the fields withheld."""
    if payload_text is None:
        return None, []
    payload = json.loads(payload_text)
    data = payload.get("data") or {}
    withheld = [name for name in PERSONAL_FIELDS if name in data]
    for name in withheld:
        data.pop(name)
    return payload, [f"data.{name}" for name in withheld]


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> None:
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (json.dumps(v, ensure_ascii=False, sort_keys=True) if isinstance(v, (dict, list))
                                 else _plain(v)) for k, v in row.items()})


def event_rows(data: TraceData, include_personal_data: bool) -> list[dict[str, Any]]:
    rows = []
    for event in data.events:
        row = dict(event)
        if include_personal_data:
            row["payload"] = json.loads(event["payload"]) if event["payload"] else None
            row["withheld_fields"] = []
        else:
            row["payload"], row["withheld_fields"] = withhold_personal_data(event["payload"])
        rows.append(row)
    return rows


def figure_summary(data: TraceData) -> dict[str, Any]:
    cell, published = data.cell, data.published
    return {
        "table": f"marts.{cell.table}", "keys": cell.keys, "measure": cell.measure, "kind": cell.kind,
        "numerator": list(cell.numerator.columns) if cell.numerator else None,
        "denominator": list(cell.denominator.columns) if cell.denominator and cell.kind == "kpi" else None,
        "published_value": published.value, "source": published.source,
        "publication_id": published.publication_id, "published_at": published.published_at,
        "value_bi_sees_now": published.current_value,
        "cases": len(data.cases),
        "cases_in_numerator": sum(1 for c in data.cases if c.get("in_numerator")),
        "cases_in_denominator": sum(1 for c in data.cases if c.get("in_denominator")),
        "events": sum(1 for e in data.events if e["delivery"] == "first"),
        "redeliveries": sum(1 for e in data.events if e["delivery"] == "redelivery"),
        "exemptions": len(data.exemptions), "assessment_versions": len(data.assessments),
        "notes": data.notes,
    }


def write_trace(out: Path, data: TraceData, *, include_personal_data: bool,
                verification: dict[str, Any] | None = None) -> list[Path]:
    """Write the files and their manifest; returns the files written (manifest last)."""
    out.mkdir(parents=True, exist_ok=True)
    events = event_rows(data, include_personal_data)
    summary = figure_summary(data)
    summary["personal_data_included"] = include_personal_data
    files: list[Path] = []

    def add(name: str) -> Path:
        files.append(out / name)
        return out / name

    _write_csv(add("figure.csv"), [{k: v for k, v in summary.items() if k != "notes"}])
    _write_csv(add("cases.csv"), data.cases)
    _write_csv(add("events.csv"), events)
    if data.exemptions or data.cell.kind == "eval":
        _write_csv(add("exemptions.csv"), data.exemptions, ["case_id", "kpi_code", "decision_ref", "scope"])
    if data.assessments:
        _write_csv(add("assessments.csv"), data.assessments)
    document = {"figure": summary, "cases": data.cases, "events": events, "exemptions": data.exemptions,
                "assessment_versions": data.assessments}
    if verification is not None:
        document["verification"] = verification
        if "components" in verification:   # an evaluation cell: one row per component of the result
            _write_csv(add("verification.csv"), verification["components"],
                       ["component", "published", "recomputed", "agrees", "source"])
        else:
            _write_csv(add("verification.csv"), verification["cases"], ["case_id", "agrees", "differences"])
    add("trace.json").write_text(json.dumps(_plain(document), ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                 encoding="utf-8")
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n" for path in files]
    manifest = out / MANIFEST
    manifest.write_text("".join(lines), encoding="utf-8")
    return [*files, manifest]


def check_manifest(out: Path) -> list[str]:
    """The files whose SHA-256 no longer matches the manifest (empty: all intact)."""
    bad = []
    for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, name = line.split("  ", 1)
        path = out / name
        if not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            bad.append(name)
    return bad
