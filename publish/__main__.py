"""motcua publish: publish a gated build by hand, or list what was published (`python -m publish`: an alias).

  motcua publish run --date 2026-03-02     # the night's build, if it completed and its marts gate passed on it
  motcua publish show [--at 2026-03-03T08:00+07:00]

Exit status: 0 published / listed; 3 blocked: the build did not complete (killed, failed, a full
rebuild left unfinished; lineage.dbt_build_runs) or no passing marts verdict judged this very
build; 2 bad usage, configuration, database unreachable or refused, or a build problem. The
nightly DAG calls the same code (publish.publish).
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from motcua import args as types
from motcua.errors import EXIT_BLOCKED, MotcuaError, PermanentError, run_command, translate

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROG = "python -m publish"


def cmd_run(args) -> int:
    from publish import PublishConfig, PublishRequest, publish
    from publish.builds import BuildNotComplete
    from publish.errors import DataGateBlocked, NightlyError
    from publish.provenance import git_commit, read_run_results
    from motcua.settings import dbt_target_path

    night = args.date
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
        # an incomplete build's message already says what to run; a verdict's lacks the gate command
        hint = "" if isinstance(exc, BuildNotComplete) else (
            "run the marts gate on this build first ('motcua gate gate --layer marts --date …')")
        raise MotcuaError(f"not published: {exc}", exit_code=EXIT_BLOCKED, hint=hint) from None
    except (NightlyError, ValueError) as exc:
        cause = translate(exc.__cause__) if exc.__cause__ is not None else None
        if cause is not None:  # e.g. PostgreSQL unreachable: say so, with what to do
            raise type(cause)(f"not published: {cause.message}", hint=cause.hint) from None
        raise PermanentError(f"not published: {exc}") from None
    print(result.summary())
    return 0


def cmd_show(args) -> int:
    from motcua import db

    at = args.at or datetime.now(TZ)
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


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{run,show}")
    p = sub.add_parser("run", help="publish the build of one night (after its marts gate passed)",
                       description="publish the build of one night (after its marts gate passed)")
    p.add_argument("--date", required=True, type=types.iso_date, help="the night, local date YYYY-MM-DD (required)")
    p.add_argument("--run-id", type=types.non_empty,
                   help="recorded as the publication's run id (default: manual:<user>)")
    p.add_argument("--full", action="store_true",
                   help="copy and compare every row, not only the cases dbt queued since the last publication")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("show", help="list publications up to an instant (as the auditor role)",
                       description="list publications up to an instant (as the auditor role)")
    p.add_argument("--at", type=types.aware_instant, help="ISO instant with its offset (default: now)")
    p.add_argument("--limit", type=types.positive_int, default=20, help="at most this many publications")
    p.add_argument("--json", action="store_true", help="also print the ids as JSON")
    p.set_defaults(func=cmd_show)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
