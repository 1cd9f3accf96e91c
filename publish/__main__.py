"""python -m publish: publish a gated build by hand, or list what was published.

  python -m publish run --date 2026-03-02     # the night's build, if it completed and its marts gate passed on it
  python -m publish show [--at 2026-03-03T08:00+07:00]

Exit status: 0 published / listed; 3 blocked: the build did not complete (killed, failed, a full
rebuild left unfinished; lineage.dbt_build_runs) or no passing marts verdict judged this very
build; 2 configuration, database or build problem. The nightly DAG calls the same code (publish.publish).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def cmd_run(args) -> int:
    from publish import PublishConfig, PublishRequest, publish
    from publish.errors import DataGateBlocked, NightlyError
    from publish.provenance import git_commit, read_run_results
    from publish.steps import dbt_target_path

    night = date.fromisoformat(args.date)
    start = datetime.combine(night, time(2), tzinfo=TZ)
    parsed = read_run_results(dbt_target_path())
    run = parsed[0] if parsed else None
    request = PublishRequest(
        run_id=args.run_id or f"manual:{getpass.getuser()}", local_date=night, interval_start=start,
        interval_end=start + timedelta(days=1), git_commit=git_commit(),
        dbt_invocation_id=run.invocation_id if run else None, built_at=run.generated_at if run else None,
        gate_summary={"dbt": run.as_json()} if run else {},
    )
    try:
        result = publish(request, config=PublishConfig.from_env(), full=args.full)
    except DataGateBlocked as exc:
        print(f"not published: {exc}", file=sys.stderr)
        return 3
    except (NightlyError, ValueError) as exc:
        print(f"not published: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0


def cmd_show(args) -> int:
    from ingestion import db

    at = datetime.fromisoformat(args.at) if args.at else datetime.now(TZ)
    with db.connect("auditor") as conn:
        rows = conn.execute(
            """select publication_id, published_at, local_date, swapped, run_id, dbt_invocation_id, git_commit, tables
                 from audit.publications where published_at <= %s order by publication_id desc limit %s""",
            (at, args.limit),
        ).fetchall()
    for pid, published_at, night, swapped, run_id, invocation, commit, tables in rows:
        changed = sum(t.get("values", {}).get("changed", 0) for t in tables.values())
        print(f"{pid:>6}  {published_at.astimezone(TZ):%Y-%m-%d %H:%M}  night {night}  "
              f"{'published' if swapped else 'history only'}  revised values {changed}  run {run_id}  "
              f"dbt {invocation}  git {commit}")
    if args.json:
        print(json.dumps([r[0] for r in rows]))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m publish", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="publish the build of one night (after its marts gate passed)")
    p.add_argument("--date", required=True, help="the night, local date YYYY-MM-DD")
    p.add_argument("--run-id", help="recorded as the publication's run id (default manual:<user>)")
    p.add_argument("--full", action="store_true",
                   help="copy and compare every row, not only the cases dbt queued since the last publication")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("show", help="list publications up to an instant")
    p.add_argument("--at", help="ISO instant (default now)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="also print the ids as JSON")
    p.set_defaults(func=cmd_show)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
