"""Print a short, human-readable summary of the KPI marts (read as motcua_bi, like a BI tool).

Per agency and month: cases received and completed, on-time rate, first-pass return rate (a month
marked * holds only part of the month: the history starts in it); then the five officers with the
lowest on-time rate (over all months in the marts, or one month).

Usage: python scripts/kpi_summary.py [--dbname NAME] [--month YYYY-MM] [--min-completed N]
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from motcua import db  # noqa: E402

AGENCY_SQL = """
select agency_code, month, cases_received, cases_completed, on_time_rate, first_pass_return_rate,
       is_partial_period, coalesce(agency_name, '')
from marts.kpi_agency_monthly
where (%(month)s::date is null or month = %(month)s::date)
order by agency_code, month
"""

# Rates re-aggregated from their numerators and denominators (never averaged).
OFFICERS_SQL = """
select officer_id || coalesce(' ' || max(officer_name), '') as officer,
       string_agg(distinct agency_code, ', ') as agencies,
       sum(cases_completed) as completed,
       sum(cases_completed_on_time)::numeric / nullif(sum(cases_completed), 0) as on_time_rate
from marts.kpi_officer_monthly
where (%(month)s::date is null or month = %(month)s::date)
group by officer_id
having sum(cases_completed) >= %(min_completed)s
order by on_time_rate asc, completed desc, officer_id
limit 5
"""


def pct(value: Decimal | None) -> str:
    """A rate as a percentage; NULL (no denominator) shows as a dash, never as 0% or 100%."""
    return "—" if value is None else f"{value * 100:.1f}%"


def parse_month(text: str | None) -> date | None:
    if not text:
        return None
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dbname", help="database (default: PGDATABASE or motcua)")
    parser.add_argument("--month", help="only this month, YYYY-MM")
    parser.add_argument("--min-completed", type=int, default=1,
                        help="officers need at least this many completed cases to be ranked")
    args = parser.parse_args(argv)
    params = {"month": parse_month(args.month), "min_completed": args.min_completed}

    with db.connect("bi", args.dbname) as conn:
        agencies = conn.execute(AGENCY_SQL, params).fetchall()
        officers = conn.execute(OFFICERS_SQL, params).fetchall()

    print("KPI per agency and month (tỷ lệ đúng hạn = on-time rate, trả lại lần 1 = first-pass returns)")
    header = (f"{'agency':<10} {'month':<8} {'received':>9} {'completed':>10} {'on-time':>8} {'1st-pass ret.':>14}"
              "  name")
    print(header)
    print("-" * len(header))
    for agency, month, received, completed, on_time, first_pass, partial, name in agencies:
        period = f"{month:%Y-%m}" + ("*" if partial else " ")
        print(f"{agency:<10} {period:<8} {received:>9} {completed:>10} {pct(on_time):>8} {pct(first_pass):>14}  {name}")
    if not agencies:
        print("(no rows: run the dbt build first)")
    elif any(row[6] for row in agencies):
        print("* partial month: the history starts after its first day (see covered_from)")

    print()
    print("Five officers with the lowest on-time rate"
          + (f" in {args.month}" if args.month else " (all months)")
          + f", at least {args.min_completed} completed case(s):")
    for officer, agencies_list, completed, on_time in officers:
        print(f"  {officer:<10} {pct(on_time):>7} of {completed} completed  ({agencies_list})")
    if not officers:
        print("  (none)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
