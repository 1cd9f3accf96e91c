"""`motcua calendar export-seed --from-year 2020 --to-year 2030 [--out PATH]` (`python -m workcal`: an alias).

Exit status: 0 written; 2 bad usage or a path that cannot be written.
"""
from __future__ import annotations

import argparse
import sys

from motcua import args as types
from motcua.errors import PermanentError, run_command
from workcal.export import DEFAULT_SEED_PATH, ExportError, export_seed, holiday_rows

PROG = "python -m workcal"


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description="Vietnam working-time calendar tools")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{export-seed}")
    exp = sub.add_parser("export-seed", help="write the dbt seed calendar_vn_holidays.csv from the holidays package",
                         description="write the dbt seed calendar_vn_holidays.csv from the holidays package: "
                                     "the days off and make-up working days of the years asked for")
    exp.add_argument("--from-year", type=types.year, required=True, help="first year written (required)")
    exp.add_argument("--to-year", type=types.year, required=True, help="last year written, inclusive (required)")
    exp.add_argument("--out", type=types.non_empty, default=str(DEFAULT_SEED_PATH),
                     help="output CSV (created or replaced)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.from_year > args.to_year:
        parser.error(f"--from-year {args.from_year} is after --to-year {args.to_year}")
    return run_command(PROG, lambda: _export(args))


def _export(args: argparse.Namespace) -> int:
    try:
        path = export_seed(args.from_year, args.to_year, args.out)
    except ExportError as exc:
        raise PermanentError(str(exc), hint="give --from-year <= --to-year") from None
    except OSError as exc:
        raise PermanentError(f"cannot write {args.out}: {exc.strerror or exc}",
                             hint="choose a writable file with --out") from None
    rows = holiday_rows(args.from_year, args.to_year)
    working = sum(1 for r in rows if r[2])
    print(f"wrote {path}: {len(rows)} rows ({len(rows) - working} days off, {working} make-up working days)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
