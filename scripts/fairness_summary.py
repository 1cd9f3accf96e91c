"""Print the five officers with the highest return_near_deadline rate beside their group's median
(read as motcua_bi from marts.fairness_officer_monthly, like a BI tool). Flags are shown, never scored:
a high rate is a question to ask, not a verdict.

Month: the latest month in the mart with a checked return, or --month. Officers with fewer checked
returns than the month's min_cases are listed after those with enough (marked "small sample").

Usage: python scripts/fairness_summary.py [--dbname NAME] [--month YYYY-MM]
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingestion import db  # noqa: E402

TOP_SQL = """
with chosen as (
    select coalesce(%(month)s::date,
                    (select max(month) from marts.fairness_officer_monthly where return_near_deadline_checked > 0))
        as month
)
select officer_id, agency_code, position_group, return_near_deadline_count, return_near_deadline_checked,
       return_near_deadline_rate, return_near_deadline_group_median, return_near_deadline_checked < min_cases,
       chosen.month
from marts.fairness_officer_monthly
cross join chosen
where fairness_officer_monthly.month = chosen.month and return_near_deadline_checked > 0
order by return_near_deadline_checked >= min_cases desc, return_near_deadline_rate desc,
         return_near_deadline_checked desc, officer_id, agency_code
limit 5
"""


def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def parse_month(text: str | None) -> date | None:
    if not text:
        return None
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dbname", help="database (default: PGDATABASE or motcua)")
    parser.add_argument("--month", help="this month, YYYY-MM (default: the latest with a checked return)")
    args = parser.parse_args(argv)
    with db.connect("bi", args.dbname) as conn:
        rows = conn.execute(TOP_SQL, {"month": parse_month(args.month)}).fetchall()
    month = f" in {rows[0][8]:%Y-%m}" if rows else ""
    print(f"Five officers with the highest return_near_deadline rate{month} (trả hồ sơ sát hạn: less than"
          " 20% of the allowance left, or after the deadline), beside their group's median:")
    for officer, agency, group, count, checked, rate, median, small, _ in rows:
        note = "  small sample" if small else ""
        print(f"  {officer:<10} {agency:<8} {pct(rate):>7} ({count} of {checked} returns)"
              f"   group {agency} × {group} median {pct(median):>7}{note}")
    if not rows:
        print("  (none: no return was checked, or the fairness marts are not published yet)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
