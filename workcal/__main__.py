"""`python -m workcal export-seed --from-year 2020 --to-year 2030 [--out PATH]`."""
from __future__ import annotations

import argparse
import sys

from workcal.export import DEFAULT_SEED_PATH, export_seed, holiday_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workcal", description="Vietnam working-time calendar tools")
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export-seed", help="write the dbt seed calendar_vn_holidays.csv from the holidays package")
    exp.add_argument("--from-year", type=int, required=True)
    exp.add_argument("--to-year", type=int, required=True)
    exp.add_argument("--out", default=str(DEFAULT_SEED_PATH), help=f"output CSV (default {DEFAULT_SEED_PATH})")
    args = parser.parse_args(argv)
    path = export_seed(args.from_year, args.to_year, args.out)
    rows = holiday_rows(args.from_year, args.to_year)
    working = sum(1 for r in rows if r[2])
    print(f"wrote {path}: {len(rows)} rows ({len(rows) - working} days off, {working} make-up working days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
