"""motcua statement: the officer's evaluation statement (phiếu kết quả đánh giá), HTML and PDF.

  motcua statement --officer ID --period 2026-03|2026-Q1|2026 [--out DIR] [--pdf] [--lang vi|en]
  motcua statement --agency CODE --period P [--out DIR] [--pdf] [--lang vi|en]

Reads only what is published (marts.*, lineage.* and the publication history audit.*) as the
auditor role. Prints the path of each page written (the index last, for --agency).

Exit status: 0 written; 1 nothing published for that officer / agency and period (or the
evaluation marts are not published yet); 2 bad usage, the database unreachable, chromium
missing for --pdf.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from motcua import args as types
from motcua.errors import EXIT_PROBLEM, PermanentError, first_line, run_command

PROG = "motcua statement"


def _period(text: str):
    from motcua.statement.periods import PeriodError, parse

    try:
        return parse(text)
    except PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _default_out() -> Path:
    from motcua.settings import state_dir

    return state_dir() / "statements"


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--officer", type=types.non_empty, help="the officer's id (as in the marts)")
    who.add_argument("--agency", type=types.non_empty,
                     help="an agency code: every officer's statement of the period, and an index page")
    parser.add_argument("--period", required=True, type=_period,
                        help="YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year) (required)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: $MOTCUA_STATE_DIR/statements/<period>)")
    parser.add_argument("--pdf", action="store_true", help="also print each page to PDF with headless chromium")
    parser.add_argument("--lang", choices=("vi", "en"), default="vi", help="language of the labels")
    parser.add_argument("--database", type=types.non_empty, default=None,
                        help="database name (default: PGDATABASE or motcua)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from motcua.eval_settings import EvalSettingsError, settings_at
    from motcua.statement import build
    from motcua.statement.data import NotPublished
    from motcua.statement.render import PdfError

    out = args.out if args.out is not None else _default_out() / args.period.text
    try:
        settings = settings_at(args.period.start)
        if args.officer:
            written = build.officer_statement(args.officer, args.period, out, lang=args.lang, pdf=args.pdf,
                                              dbname=args.database, settings=settings)
        else:
            written = build.agency_statements(args.agency, args.period, out, lang=args.lang, pdf=args.pdf,
                                              dbname=args.database, settings=settings)
    except NotPublished as exc:
        print(f"{PROG}: {first_line(exc)}; check the id and period (motcua psql --role auditor)", file=sys.stderr)
        return EXIT_PROBLEM
    except (EvalSettingsError, PdfError) as exc:
        raise PermanentError(first_line(exc)) from None
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
