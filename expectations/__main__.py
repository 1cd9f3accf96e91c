"""motcua gate gate --layer raw|staging|marts|all --date YYYY-MM-DD  (`python -m expectations`: an alias)

Exit status: 0 no critical expectation failed (warnings may have); 3 a critical expectation
failed (publication must not happen); 2 bad usage, or the gate could not run (configuration,
connection, missing history table).
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from motcua import args as types
from motcua.errors import PermanentError, first_line, run_command, translate

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PROG = "python -m expectations"
LAYERS = ("raw", "staging", "marts", "all")


def _date_text(text: str) -> str:
    """Checked like a date, kept as the text the gate expects."""
    return types.iso_date(text).isoformat()


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{gate,list}")
    gate = sub.add_parser("gate", help="validate one layer (or all) for one local date",
                          description="validate one layer (or all) for one local date")
    gate.add_argument("--layer", required=True, choices=LAYERS, help="the layer to validate (required)")
    gate.add_argument("--date", required=True, type=_date_text,
                      help="local date (Asia/Ho_Chi_Minh), YYYY-MM-DD (required)")
    gate.add_argument("--database", type=types.non_empty, default=None,
                      help="database name (default: PGDATABASE or motcua)")
    gate.add_argument("--data-docs-dir", type=types.non_empty, default=None,
                      help="Data Docs folder (default: MOTCUA_GX_DATA_DOCS_DIR)")
    listing = sub.add_parser("list", help="print the suites and expectations (with severities) for a database",
                             description="print the suites and expectations (with severities) for a database")
    listing.add_argument("--layer", default="all", choices=LAYERS, help="the layer to list")
    listing.add_argument("--date", type=_date_text, default=date(2026, 1, 1).isoformat(),
                         help="only changes the interval inside the SQL")
    listing.add_argument("--database", type=types.non_empty, default=None,
                         help="database name (default: PGDATABASE or motcua)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "list":
        return run_command(PROG, lambda: _list(args.layer, args.date, args.database))
    return run_command(PROG, lambda: _gate(args))


def _gate(args: argparse.Namespace) -> int:
    from expectations.config import GateConfigError
    from expectations.interval import IntervalError
    from motcua.db import DatabaseConfigError

    try:
        if args.data_docs_dir:
            os.environ["MOTCUA_GX_DATA_DOCS_DIR"] = args.data_docs_dir
        from expectations.gate import GateError, run_gate
        from expectations.store import HistoryStoreError

        result = run_gate(args.layer, args.date, dbname=args.database)
    except DatabaseConfigError as exc:
        known = translate(exc)
        raise PermanentError(f"quality gate could not run: {known.one_line() if known else first_line(exc)}") from None
    except (GateConfigError, IntervalError, GateError, HistoryStoreError) as exc:
        raise PermanentError(f"quality gate could not run: {first_line(exc)}") from None
    except Exception as exc:  # noqa: BLE001 - any crash must still block publication, visibly
        known = translate(exc)
        if known is None and os.environ.get("MOTCUA_DEBUG"):
            raise
        raise PermanentError(f"quality gate could not run: "
                             f"{known.one_line() if known else type(exc).__name__ + ': ' + first_line(exc)}",
                             hint="" if known else "rerun with MOTCUA_DEBUG=1 for the traceback") from None
    print(result.summary())
    return result.exit_code


def _list(layer: str, day: str, database: str | None) -> int:
    from expectations.catalog import Catalog
    from expectations.config import GateConfig
    from expectations.gate import build_specs
    from expectations.interval import DataInterval
    from motcua import db

    from expectations.config import GateConfigError

    try:
        cfg = GateConfig.from_env()
    except GateConfigError as exc:
        raise PermanentError(f"the gate's configuration: {first_line(exc)}") from None
    with db.connect("transform", database) as conn:
        catalog = Catalog.load(conn, ("raw", "staging", cfg.marts_schema))
    for spec in build_specs(layer, DataInterval.for_day(day, cfg.timezone), catalog, cfg):
        print(f"{spec.name}  ({'table ' + spec.table if spec.table else 'query asset'})")
        for e in spec.expectations:
            meta = e.meta or {}
            print(f"  {meta.get('severity', '?'):<8} {meta.get('name')}  [{e.expectation_type}]")
            print(f"           {meta.get('summary')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
