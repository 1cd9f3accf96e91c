"""The body of `motcua audit trace` (arguments parsed in publish/audit_cli.py): trace, verify,
log any access to personal data, write the files, print the figure and its cases."""
from __future__ import annotations

import getpass
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from publish.trace import Cell, TraceData, needs, require_auditor, trace
from publish.trace_export import MANIFEST, figure_summary, write_trace
from workcal import VN_TZ


def log_personal_data_access(conn: psycopg.Connection, data: TraceData, out: Path) -> None:
    """Record who saw which cases' personal data, before any file is written (committed at once:
    the record stays even if writing the files fails)."""
    with conn.transaction():
        conn.execute(
            """insert into pii.personal_data_access (os_user, purpose, table_name, grain, measure, publication_id,
                                                     case_ids, event_count, output_dir)
               values (%s, 'audit trace', %s, %s, %s, %s, %s, %s, %s)""",
            (getpass.getuser(), data.cell.table, Jsonb(data.cell.keys), data.cell.measure,
             data.published.publication_id, sorted({c["case_id"] for c in data.cases}),
             sum(1 for e in data.events if e["delivery"] == "first"), str(out.resolve())))


def _local(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).strftime("%Y-%m-%d %H:%M:%S%z")
    return "-" if value is None else str(value)


def print_trace(data: TraceData, files: list[Path], out=None) -> None:
    out = out or sys.stdout
    summary = figure_summary(data)
    keys = " ".join(f"{k}={v}" for k, v in data.cell.keys.items())
    print(f"{summary['table']} {keys} {data.cell.measure} = {_local(summary['published_value'])}"
          f"  ({summary['source']}, publication {summary['publication_id']}, published {_local(summary['published_at'])})",
          file=out)
    if data.cell.kind != "eval":
        print(f"numerator {' + '.join(summary['numerator'] or [])}: {summary['cases_in_numerator']} cases;"
              f" denominator {' + '.join(summary['denominator'] or []) or '-'}: {summary['cases_in_denominator']} cases",
              file=out)
    for note in data.notes:
        print(f"note: {note}", file=out)
    events_by_case: dict[str, list[dict[str, Any]]] = {}
    for event in data.events:
        events_by_case.setdefault(event["case_id"], []).append(event)
    for case in data.cases:
        role = "/".join(r for r, flag in (("numerator", case.get("in_numerator")),
                                          ("denominator", case.get("in_denominator"))) if flag) or "-"
        if case.get("kpi_code"):
            role = f"{case['kpi_code']}: {role}"
        print(f"case {case['case_id']} [{role}] status={case.get('status')} timeliness={case.get('timeliness') or '-'}"
              f" received={_local(case.get('received_at'))} effective_due={_local(case.get('effective_due_at'))}"
              f" completed={_local(case.get('completed_at'))} waiting_min={_local(case.get('waiting_working_minutes'))}",
              file=out)
        for e in events_by_case.get(case["case_id"], []):
            print(f"  {e['event_type']:<17} {_local(e['occurred_at'])} {e['delivery']:<10} "
                  f"{e['kafka_topic']}/{e['kafka_partition']}@{e['kafka_offset']} ingested {_local(e['ingested_at'])}"
                  f" sha256 {e['sha256']}", file=out)
    for x in data.exemptions:
        print(f"exemption: case {x['case_id']} {x['kpi_code']} {x['scope']} decision {x['decision_ref']}", file=out)
    for a in data.assessments:
        print(f"assessment {a['event_id']} {a['assessor_role']} {a['assessment_period']} used={a['used']}"
              f" ({a['reason']}) sha256 {a['sha256']}", file=out)
    print(f"wrote {len(files)} files to {files[-1].parent} (check: cd there && sha256sum -c {MANIFEST})", file=out)


def run_trace(conn: psycopg.Connection, cell: Cell, args) -> int:
    require_auditor(conn)
    needs(conn, (f"marts.{cell.table}", "marts.fct_cases", "raw.case_events", "audit.publications",
                 "lineage.kpi_case_membership" if cell.kind != "eval" else "lineage.eval_case_membership"))
    data = trace(conn, cell, args.publication, args.as_of)
    verification = None
    if args.verify:
        from publish.recompute import ClockConfig
        from publish.verify_snapshots import build_as_of
        # open cases (waits, states) are taken at the as-of instant of the build that was published
        as_of = build_as_of(conn, data.published.publication_id)
        if cell.kind == "eval":
            from publish.verify_eval import verify_eval
            needs(conn, ("marts.eval_officer_period", "marts.eval_officer_kpi_period",
                         "marts.eval_officer_criteria_period", "raw.staff_events"))
            verification = verify_eval(conn, data, ClockConfig.from_project(), as_of=as_of.instant)
        else:
            from publish.trace_verify import verify
            verification = verify(conn, data, ClockConfig.from_project(), as_of)
    out = args.out or Path.cwd() / f"trace-{cell.table}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}"
    if args.include_personal_data:
        log_personal_data_access(conn, data, out)
    conn.commit()
    files = write_trace(out, data, include_personal_data=args.include_personal_data,
                        verification=verification.as_json() if verification else None)
    print_trace(data, files)
    if verification is None:
        return 0
    if cell.kind == "eval":
        return print_eval_verification(verification)
    for case in verification.cases:
        if not case["agrees"]:
            print(f"DISAGREE case {case['case_id']}: {case['differences']}")
    for note in verification.notes:
        print(f"note: {note}")
    agreeing = sum(1 for c in verification.cases if c["agrees"])
    verdict = "AGREE" if verification.ok else "DISAGREE"
    print(f"verify: {verdict}: recomputed {_local(verification.recomputed_value)}, published"
          f" {_local(verification.published_value)}; {agreeing}/{len(verification.cases)} cases agree")
    return 0 if verification.ok else 1


def print_eval_verification(verification, out=None) -> int:
    """One line per disagreeing component with both values, then the verdict (exit 1 on any)."""
    out = out or sys.stdout
    for c in verification.components:
        if c["component"] in verification.summary and c["agrees"]:
            print(f"agree {c['component']}: {_local(c['recomputed'])} ({c['source']})", file=out)
        elif not c["agrees"]:
            print(f"DISAGREE {c['component']}: published {_local(c['published'])}, recomputed {_local(c['recomputed'])}"
                  f" ({c['source']})", file=out)
    for note in verification.notes:
        print(f"note: {note}", file=out)
    agreeing = sum(1 for c in verification.components if c["agrees"])
    verdict = "AGREE" if verification.ok else "DISAGREE"
    print(f"verify: {verdict}: {verification.traced} recomputed {_local(verification.recomputed_value)}, published"
          f" {_local(verification.published_value)}; {agreeing}/{len(verification.components)} components agree",
          file=out)
    return 0 if verification.ok else 1
