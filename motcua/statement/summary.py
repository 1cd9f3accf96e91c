"""The demo's last word on evaluation: each agency's band distribution for the last complete month
and quarter (marts.eval_group_period, read as motcua_bi), and one officer's statement.

  python -m motcua.statement.summary --as-of YYYY-MM-DD [--out DIR] [--database NAME]

"Complete" = the period ended on or before --as-of (the night the pipeline ran for). When the
evaluation marts are absent or empty, one line says so and the exit status is still 0: the KPI
part of the demo stands on its own.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import psycopg

from motcua import db
from motcua import args as types
from motcua.errors import run_command
from motcua.statement.periods import Period, parse

PROG = "python -m motcua.statement.summary"
COUNTS = ("officers", "excellent_after", "good_after", "pass_count", "fail_count", "pending_count")
HEADER = ("agency", "officers", "excellent", "good", "pass", "fail", "pending")


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    parser.add_argument("--as-of", required=True, type=types.iso_date,
                        help="periods that ended on or before this local date are complete (required)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the officer's statement goes (default: $MOTCUA_STATE_DIR/statements/<period>)")
    parser.add_argument("--database", type=types.non_empty, default=None,
                        help="database name (default: PGDATABASE or motcua)")
    return parser


def last_complete(conn: psycopg.Connection, period_type: str, as_of: date) -> Period | None:
    periods = [parse(p) for (p,) in conn.execute(
        "select distinct period from marts.eval_group_period where period_type = %s", (period_type,)).fetchall()]
    done = [p for p in periods if p.end <= as_of]
    return max(done, key=lambda p: p.start) if done else None


def distribution(conn: psycopg.Connection, period: Period) -> list[tuple]:
    sums = ", ".join(f"sum({c})::int" for c in COUNTS)
    return conn.execute(f"""select agency_code, {sums} from marts.eval_group_period
                             where period_type = %s and period = %s group by agency_code order by agency_code""",
                        (period.type, period.text)).fetchall()


def _table(rows: list[tuple]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    return ["  " + "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w)
                                  for i, (v, w) in enumerate(zip(r, widths))) for r in [HEADER, *rows]]


def summarize(as_of: date, out: Path | None, dbname: str | None) -> list[str]:
    """The lines to print."""
    with db.connect("bi", dbname) as conn:
        present = conn.execute("select to_regclass('marts.eval_group_period') is not null").fetchone()[0]
        if not present or conn.execute("select not exists (select from marts.eval_group_period)").fetchone()[0]:
            return ["evaluation: the evaluation marts are empty (no staff events evaluated yet): "
                    "no band distribution, no statement"]
        lines: list[str] = []
        periods = {t: last_complete(conn, t, as_of) for t in ("month", "quarter")}
        for kind, period in periods.items():
            if period is None:
                lines.append(f"evaluation: no complete {kind} on or before {as_of.isoformat()} in the evaluation marts")
                continue
            lines.append(f"Band distribution after the quota, {kind} {period.text} (marts.eval_group_period):")
            lines += _table(distribution(conn, period))
        # the month first; when nobody is banded yet (the managers assess after the month ends),
        # the quarter
        month, officer = None, None
        for candidate in (periods["month"], periods["quarter"]):
            if candidate is None:
                continue
            row = conn.execute("""select officer_id from marts.eval_officer_period
                                   where period_type = %s and period = %s and band <> 'pending'
                                   order by rank_in_group nulls last, agency_code, officer_id limit 1""",
                               (candidate.type, candidate.text)).fetchone()
            if row:
                month, officer = candidate, row[0]
                break
    if officer is None:
        lines.append("evaluation: no banded officer to write a statement for")
        return lines
    from motcua.eval_settings import settings_at
    from motcua.statement import build
    from motcua.statement.__main__ import _default_out

    written = build.officer_statement(officer, month, out or _default_out() / month.text, dbname=dbname,
                                      settings=settings_at(month.start))
    lines.append(f"Officer's statement (phiếu kết quả đánh giá) of {officer} for {month.text}: {written[0]}")
    lines.append(f"  all of an agency: .venv/bin/motcua statement --agency CODE --period {month.text} [--pdf]")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        print("\n".join(summarize(args.as_of, args.out, args.database)))
        return 0

    return run_command(PROG, body)


if __name__ == "__main__":
    sys.exit(main())
