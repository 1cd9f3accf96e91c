"""Early warning (cảnh báo sắp trễ hạn): the intraday refresh and the per-agency digests.

`marts.open_cases_due_soon` (dbt_project/macros/due_soon.sql) computes the working minutes left
at the instant of the query from `marts.fct_due_soon_open_cases`, which the nightly run rebuilds whole.
Between nights the continuous loader keeps adding events; `refresh` brings the table up to them
cheaply (only the events ingested since the build, through the BRIN index on ingested_at):
  - a case completed or withdrawn, or returned for supplementation after the build (its clock is
    paused), leaves the table;
  - a case received since the build enters it with its appointment as effective deadline (no wait
    has moved it yet), handled by the officer it was last assigned to, else its receiving officer;
  - a case reassigned since the build follows its new officer.
A case resubmitted during the day (its clock runs again, with a moved deadline) comes back with
the next nightly run, which recomputes every case from the staging layer (this one reads raw).

`post_digests` sends one digest per agency for one half-hour window, at most once: the window's
rows in orchestration.due_soon_posts say which agencies were already posted.

    motcua due-soon show [--at ISO] [--agency CODE]     the due-soon cases as of an instant
    motcua due-soon refresh                             apply the events loaded since the build
    motcua due-soon alert [--at ISO]                    refresh, then post the window's digests
    motcua due-soon summary [--at ISO]                  per agency: due within the window / overdue
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg

from ingestion import db

log = logging.getLogger("motcua.due_soon")

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TOP = 10                                   # cases listed per digest
# The loader commits in batches: an event ingested a little before the build's as-of may not have
# been visible to it (the same margin as dbt's incremental_lookback_minutes).
LOOKBACK = timedelta(minutes=120)

_RECENT = """
create temporary table due_soon_recent on commit drop as
select case_id, event_type, agency_code, officer_id, occurred_at,
       payload -> 'data' ->> 'to_officer_id' as to_officer_id,
       payload -> 'data' ->> 'procedure_code' as procedure_code,
       payload -> 'data' ->> 'procedure_name' as procedure_name,
       (payload -> 'data' ->> 'due_at')::timestamptz as due_at
  from raw.case_events
 where ingested_at >= %(since)s and occurred_at <= %(at)s
"""

_REMOVE = """
delete from marts.fct_due_soon_open_cases as cases
 using due_soon_recent as recent
 where recent.case_id = cases.case_id
   and (recent.event_type in ('case.completed', 'case.withdrawn')
        or (recent.event_type = 'case.returned' and recent.occurred_at > cases.built_as_of))
"""

_ADD = """
insert into marts.fct_due_soon_open_cases
      (case_id, agency_code, procedure_code, procedure_name, officer_id, received_at, effective_due_at,
       calendar_key, due_position, built_as_of)
select receipt.case_id, receipt.agency_code, receipt.procedure_code, receipt.procedure_name,
       coalesce((select a.to_officer_id from due_soon_recent as a
                  where a.case_id = receipt.case_id and a.event_type = 'case.assigned' and a.to_officer_id is not null
                  order by a.occurred_at desc limit 1), receipt.officer_id),
       receipt.occurred_at, receipt.due_at, keyed.calendar_key,
       marts.due_soon_working_position(keyed.calendar_key, receipt.due_at), %(at)s
  from (select distinct on (case_id) * from due_soon_recent
         where event_type = 'case.received' and due_at is not null
         order by case_id, occurred_at) as receipt
 cross join lateral (
       select case when exists (select from marts.dim_working_calendar as c where c.calendar_key = receipt.agency_code)
                   then receipt.agency_code else '*' end as calendar_key) as keyed
 where not exists (select from marts.fct_due_soon_open_cases as o where o.case_id = receipt.case_id)
   and not exists (select from marts.fct_cases as f where f.case_id = receipt.case_id)
   and not exists (select from due_soon_recent as later where later.case_id = receipt.case_id
                    and later.event_type in ('case.completed', 'case.withdrawn', 'case.returned'))
   and marts.due_soon_working_position(keyed.calendar_key, receipt.due_at) is not null
"""

_REASSIGN = """
update marts.fct_due_soon_open_cases as cases
   set officer_id = latest.to_officer_id
  from (select distinct on (case_id) case_id, to_officer_id, occurred_at from due_soon_recent
         where event_type = 'case.assigned' and to_officer_id is not null
         order by case_id, occurred_at desc) as latest
 where latest.case_id = cases.case_id
   and latest.occurred_at > cases.built_as_of - %(lookback)s
   and cases.officer_id is distinct from latest.to_officer_id
"""


def refresh(conn: psycopg.Connection, at: datetime) -> dict[str, int]:
    """Apply the events loaded since the nightly build to marts.fct_due_soon_open_cases (one transaction)."""
    with conn.transaction():
        since = conn.execute("select min(built_as_of) from marts.fct_due_soon_open_cases").fetchone()[0]
        if since is None:   # nothing open at the build: the receipts of the last day
            since = at - timedelta(days=1)
        params = {"since": since - LOOKBACK, "at": at, "lookback": LOOKBACK}
        conn.execute(_RECENT, params)
        conn.execute("create index on due_soon_recent (case_id, event_type)")
        conn.execute("analyze due_soon_recent")
        removed = conn.execute(_REMOVE, params).rowcount
        added = conn.execute(_ADD, params).rowcount
        reassigned = conn.execute(_REASSIGN, params).rowcount
    result = {"removed": removed, "added": added, "reassigned": reassigned}
    log.info("due-soon refresh at %s: %s", at.isoformat(), result)
    return result


def is_working_day(conn: psycopg.Connection, at: datetime) -> bool:
    """Whether `at`'s local date is worked in the national calendar (the published index)."""
    row = conn.execute("select is_working_day from marts.dim_working_calendar where calendar_key = '*' "
                       "and calendar_date = (%s::timestamptz at time zone 'Asia/Ho_Chi_Minh')::date", (at,)).fetchone()
    if row is None:
        raise LookupError(f"{at.astimezone(TZ).date()} is not in marts.dim_working_calendar: "
                          "extend the calendar (dbt var calendar_end) and run the nightly")
    return bool(row[0])


@dataclass
class Digest:
    agency_code: str
    due_count: int = 0
    overdue_count: int = 0
    window_hours: float = 8.0
    top: list[dict] = field(default_factory=list)

    def text(self, at: datetime) -> str:
        local = at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
        lines = [f"Cảnh báo sắp trễ hạn {self.agency_code} {local}: {self.due_count} due within "
                 f"{self.window_hours:g} working hours, {self.overdue_count} overdue"]
        for case in self.top:
            lines.append(f"  {case['case_id']} ({case['procedure_code']}) officer {case['officer_id'] or '?'}: "
                         f"{case['working_minutes_left']:g} working min left")
        return "\n".join(lines)


def digests(conn: psycopg.Connection, at: datetime) -> list[Digest]:
    """One digest per agency with a case due within the window or overdue, as of `at`."""
    rows = conn.execute(
        "select agency_code, case_id, procedure_code, officer_id, working_minutes_left, is_overdue, "
        "window_working_hours from marts.open_cases_due_soon_at(%s) "
        "order by agency_code, working_minutes_left, case_id", (at,)).fetchall()
    by_agency: dict[str, Digest] = {}
    for agency, case_id, procedure, officer, left, overdue, hours in rows:
        d = by_agency.setdefault(agency, Digest(agency, window_hours=float(hours)))
        if overdue:
            d.overdue_count += 1
        else:
            d.due_count += 1
        if len(d.top) < TOP:
            d.top.append({"case_id": case_id, "procedure_code": procedure, "officer_id": officer,
                          "working_minutes_left": float(left), "is_overdue": bool(overdue)})
    return list(by_agency.values())


def summary_lines(found: list[Digest], at: datetime) -> list[str]:
    """The due-soon count per agency as of `at` (what `make demo` prints): due within the window, overdue."""
    local = at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    lines = [f"Due soon (cảnh báo sắp trễ hạn) at {local}: open cases per agency due within the window / overdue"]
    for d in sorted(found, key=lambda d: d.agency_code):
        lines.append(f"  {d.agency_code:<8} due within {d.window_hours:g} working hours: {d.due_count:>5}"
                     f"   overdue: {d.overdue_count:>5}")
    if not found:
        lines.append("  (none: no open case is due within the window or overdue)")
    return lines


def window_start(at: datetime) -> datetime:
    """The half-hour slot holding `at` (the key that makes a rerun post nothing new)."""
    local = at.astimezone(TZ)
    return local.replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)


def post_digests(conn: psycopg.Connection, at: datetime) -> dict:
    """Post the window's digests not posted yet; record each one (delivered, or logged only when no
    webhook is set). A failed delivery records nothing, so a retry of the run posts it again."""
    from publish.alerts import send_alert, webhook_url

    window = window_start(at)
    webhook = webhook_url(os.environ.get("MOTCUA_ALERT_WEBHOOK", "").strip()) is not None
    posted, skipped, failed = [], [], []
    with conn.transaction():
        # two runs of the same window (a manual trigger beside the schedule) post once between them
        conn.execute("select pg_advisory_xact_lock(hashtext('orchestration.due_soon_posts'))")
        done = {a for (a,) in conn.execute(
            "select agency_code from orchestration.due_soon_posts where window_start = %s", (window,))}
        for digest in digests(conn, at):
            if digest.agency_code in done:
                skipped.append(digest.agency_code)
                continue
            delivered = send_alert("due_soon", digest.text(at), agency_code=digest.agency_code,
                                   window_start=window.isoformat(), due_count=digest.due_count,
                                   overdue_count=digest.overdue_count, window_working_hours=digest.window_hours,
                                   cases=digest.top)
            if webhook and not delivered:
                failed.append(digest.agency_code)
                continue
            conn.execute("insert into orchestration.due_soon_posts "
                         "(window_start, agency_code, due_count, overdue_count, delivered) values (%s, %s, %s, %s, %s)",
                         (window, digest.agency_code, digest.due_count, digest.overdue_count, delivered))
            posted.append(digest.agency_code)
    summary = {"window_start": window.isoformat(), "posted": posted, "already_posted": skipped, "failed": failed}
    log.info("due-soon digests: %s", summary)
    return summary


def _instant(text: str | None) -> datetime:
    if not text:
        return datetime.now(TZ)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=TZ)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua due-soon", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="the due-soon cases as of an instant (BI's view)")
    show.add_argument("--at", help="ISO instant (local time if no offset); default now")
    show.add_argument("--agency", help="only this agency's cases; default all")
    summary = sub.add_parser("summary", help="per agency: cases due within the window and overdue (BI's view)")
    summary.add_argument("--at", help="ISO instant (local time if no offset); default now")
    sub.add_parser("refresh", help="apply the events loaded since the nightly build")
    alert = sub.add_parser("alert", help="on a working day: refresh, then post the half-hour window's digests (once)")
    alert.add_argument("--at", help="ISO instant (local time if no offset); default now")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        at = _instant(getattr(args, "at", None))
    except ValueError as exc:
        print(f"motcua due-soon: --at: {exc}", file=sys.stderr)
        return 2
    try:
        if args.command == "show":
            with db.connect("bi") as conn:
                rows = conn.execute(
                    "select agency_code, officer_id, case_id, procedure_code, working_minutes_left, is_overdue "
                    "from marts.open_cases_due_soon_at(%s) where %s::text is null or agency_code = %s "
                    "order by agency_code, working_minutes_left", (at, args.agency, args.agency)).fetchall()
            for row in rows:
                print("\t".join("" if v is None else str(v) for v in row))
            return 0
        if args.command == "summary":
            with db.connect("bi") as conn:
                found = digests(conn, at)
            print("\n".join(summary_lines(found, at)))
            return 0
        with db.connect("transform") as conn:
            if args.command == "refresh":
                print(refresh(conn, at))
                return 0
            if not is_working_day(conn, at):
                print(f"{at.astimezone(TZ).date()} is not a working day: no digest")
                return 0
            refresh(conn, at)
            summary = post_digests(conn, at)
            print(summary)
            return 1 if summary["failed"] else 0
    except (psycopg.Error, LookupError) as exc:
        print(f"motcua due-soon: {str(exc).strip().splitlines()[0]} (did the nightly publish the marts and run "
              "the migrations?)", file=sys.stderr)
        return 2
    except db.DatabaseConfigError as exc:
        print(f"motcua due-soon: {exc}", file=sys.stderr)
        return 2
