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
    args = parser.parse_args(argv)

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
    print(result.summary())
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
