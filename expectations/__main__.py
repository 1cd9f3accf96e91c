"""python -m expectations gate --layer raw|staging|marts|all --date YYYY-MM-DD

Exit status: 0 no critical expectation failed (warnings may have); 3 a critical expectation
failed (publication must not happen); 2 the gate could not run (configuration, connection,
missing history table).
"""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m expectations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    gate = sub.add_parser("gate", help="validate one layer (or all) for one local date")
    gate.add_argument("--layer", required=True, choices=("raw", "staging", "marts", "all"))
    gate.add_argument("--date", required=True, help="local date (Asia/Ho_Chi_Minh), YYYY-MM-DD")
    gate.add_argument("--database", default=None, help="database name (default: PGDATABASE or motcua)")
    gate.add_argument("--data-docs-dir", default=None, help="Data Docs folder (default: MOTCUA_GX_DATA_DOCS_DIR)")
    listing = sub.add_parser("list", help="print the suites and expectations (with severities) for a database")
    listing.add_argument("--layer", default="all", choices=("raw", "staging", "marts", "all"))
    listing.add_argument("--date", default="2026-01-01", help="only changes the interval inside the SQL")
    listing.add_argument("--database", default=None)
    args = parser.parse_args(argv)
    if args.command == "list":
        return _list(args.layer, args.date, args.database)

    from expectations.config import GateConfigError
    from expectations.interval import IntervalError
    from ingestion.db import DatabaseConfigError

    try:
        if args.data_docs_dir:
            os.environ["MOTCUA_GX_DATA_DOCS_DIR"] = args.data_docs_dir
        from expectations.gate import GateError, run_gate
        from expectations.store import HistoryStoreError

        result = run_gate(args.layer, args.date, dbname=args.database)
    except (GateConfigError, IntervalError, DatabaseConfigError) as exc:
        print(f"quality gate could not run: {exc}", file=sys.stderr)
        return 2
    except (GateError, HistoryStoreError) as exc:
        print(f"quality gate could not run: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - any crash must still block publication, visibly
        import traceback

        traceback.print_exc()
        print(f"quality gate could not run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return result.exit_code


def _list(layer: str, day: str, database: str | None) -> int:
    from expectations.catalog import Catalog
    from expectations.config import GateConfig
    from expectations.gate import build_specs
    from expectations.interval import DataInterval
    from ingestion import db

    cfg = GateConfig.from_env()
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
