"""`motcua audit`: the auditor's commands, as motcua_auditor.

verify-history [--expect-head SEQ:HEX]: is the publication history intact? Recomputes the
history's hash chain (publish/integrity.py). Exit status: 0 ok (the head is printed: keep it
outside the database); 1 the chain is broken (the first broken publication is named) or the
history is not sealed; 2 bad usage, configuration, or the database unreachable or refusing.

trace --table T --key k=v ... --measure M [--publication ID | --as-of DATE] [--out DIR]
[--include-personal-data] [--verify]: one published figure, the cases in its numerator and
denominator and their raw events (publish/trace.py), exported as CSV + JSON with a SHA-256
manifest; --verify recomputes it from raw events alone (publish/trace_verify.py; an evaluation
cell: the officer's result, publish/verify_eval.py). Exit status: 0
ok; 1 the recomputation disagrees; 2 an unknown table, key or measure, or not the auditor.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from motcua import args as types
from motcua.errors import MotcuaError, run_command

PROG = "motcua audit"
_HEAD = re.compile(r"^(\d+):([0-9a-fA-F]{64})$")


def head(value: str) -> tuple[int, str]:
    match = _HEAD.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"expected SEQ:HEX (a link number and a 64-hex-digit sha256), got {value!r}")
    return int(match.group(1)), match.group(2)


def cmd_verify(args) -> int:
    from motcua import db
    from publish.integrity import verify

    with db.connect("auditor", args.database) as conn:
        if conn.execute("select to_regclass('audit.publication_chain')").fetchone()[0] is None:
            raise MotcuaError("no audit.publication_chain in this database",
                              hint="run the migrations ('motcua ingest migrate')")
        result = verify(conn, args.expect_head)
    print(result.report(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def key_value(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. officer_id=CB001), got {text!r}")
    return name.strip(), value.strip()


def cmd_trace(args) -> int:
    from motcua import db
    from publish.trace import TraceUsageError, resolve_cell
    from publish.trace_cli import run_trace

    keys = dict(args.keys)
    if len(keys) != len(args.keys):
        raise TraceUsageError("a --key is given twice; give each grain key once")
    cell = resolve_cell(args.table, keys, args.measure)  # usage errors before any connection
    with db.connect("auditor", args.database) as conn:
        return run_trace(conn, cell, args)


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{verify-history,trace}")
    p = sub.add_parser("verify-history", help="recompute the publication history's hash chain and check its seal",
                       description="recompute the publication history's hash chain and check its seal")
    p.add_argument("--expect-head", type=head, metavar="SEQ:HEX",
                   help="a head printed by an earlier run and kept outside the database: it must still be there")
    p.add_argument("--database", type=types.non_empty, help="database name (default: $PGDATABASE)")
    p.set_defaults(func=cmd_verify)
    t = sub.add_parser("trace", help="one published figure: its cases and raw events, exported; --verify recomputes it",
                       description="From one published figure (table, keys, measure) to the cases in its numerator and "
                                   "denominator and their raw events; CSV + JSON + SHA-256 manifest.")
    t.add_argument("--table", required=True, help="a published table, e.g. kpi_officer_monthly")
    t.add_argument("--key", dest="keys", action="append", type=key_value, default=[], metavar="K=V",
                   help="one grain key of the row (repeat for each), e.g. --key officer_id=CB001 --key month=2026-03")
    t.add_argument("--measure", required=True, help="a measure or KPI column, e.g. on_time_rate")
    when = t.add_mutually_exclusive_group()
    when.add_argument("--publication", type=types.positive_int, metavar="ID",
                      help="the figure as published by this publication (default: what BI sees now)")
    when.add_argument("--as-of", type=types.iso_date, metavar="YYYY-MM-DD",
                      help="the figure BI saw at the end of this local date")
    t.add_argument("--out", type=Path, metavar="DIR", help="where to write the files (default: ./trace-<table>-<time>)")
    t.add_argument("--include-personal-data", action="store_true",
                   help="keep applicants' personal data in the exported payloads (logged in pii.personal_data_access)")
    t.add_argument("--verify", action="store_true",
                   help="recompute the figure from raw events alone (Python SLA clock); exit 1 on disagreement")
    t.add_argument("--database", type=types.non_empty, help="database name (default: $PGDATABASE)")
    t.set_defaults(func=cmd_trace)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: args.func(args))
