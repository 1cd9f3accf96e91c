"""Which dbt build is in the build schema, and whether it completed (lineage.dbt_build_runs).

dbt's hooks record every build in the database (dbt_project/macros/build_runs.sql): a row at
start, closed at the end. run_results.json cannot tell: a killed build writes none, and the file
of an earlier command may still be there. The marts gate records the build it judged from here,
and publish copies only a completed build that a passing verdict judged.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

from publish.errors import DataGateBlocked

BUILD_RUNS = "lineage.dbt_build_runs"


class BuildNotComplete(DataGateBlocked):
    """The build schema holds a build that did not finish (killed, failed) or of unknown origin."""


@dataclass(frozen=True)
class BuildRun:
    invocation_id: str
    command: str
    full_build: bool
    started_at: datetime
    finished_at: datetime | None
    status: str
    errors: int | None

    def describe(self) -> str:
        kind = "full rebuild" if self.full_build else "build"
        return f"dbt {kind} {self.invocation_id} started {self.started_at.isoformat(timespec='seconds')}"

    def as_json(self) -> dict:
        return {"invocation_id": self.invocation_id, "full_build": self.full_build,
                "started_at": self.started_at.isoformat(),
                "finished_at": self.finished_at.isoformat() if self.finished_at else None, "status": self.status}


def _run(conn: psycopg.Connection, build_schema: str, full_only: bool) -> BuildRun | None:
    if conn.execute("select to_regclass(%s)", (BUILD_RUNS,)).fetchone()[0] is None:
        return None
    row = conn.execute(
        f"""select invocation_id, command, full_build, started_at, finished_at, status, errors from {BUILD_RUNS}
             where build_schema = %s and builds_marts {'and full_build' if full_only else ''}
             order by started_at desc, finished_at desc nulls first limit 1""",
        (build_schema,),
    ).fetchone()
    return BuildRun(*row) if row else None


def latest_build(conn: psycopg.Connection, build_schema: str) -> BuildRun | None:
    """The last dbt command that built models into the build schema, finished or not."""
    return _run(conn, build_schema, full_only=False)


def completed_build(conn: psycopg.Connection, build_schema: str) -> BuildRun | None:
    """The build in the schema if it is complete, else None (what the marts gate records)."""
    latest = latest_build(conn, build_schema)
    full = _run(conn, build_schema, full_only=True)
    if latest is None or latest.status != "success" or (full is not None and full.status != "success"):
        return None
    return latest


def require_complete_build(conn: psycopg.Connection, build_schema: str) -> BuildRun:
    """The build to publish; BuildNotComplete with a one-line reason when there is none."""
    latest = latest_build(conn, build_schema)
    if latest is None:
        raise BuildNotComplete(f"no dbt build of {build_schema} is recorded in {BUILD_RUNS}, so its completion is "
                               "unknown: run `dbt build` (it records itself), then the marts gate")
    full = _run(conn, build_schema, full_only=True)
    # A full rebuild that died replaced some tables and not others: only a later full rebuild
    # that completed makes the schema consistent again (an incremental run recomputes some cases).
    if full is not None and full.status != "success":
        state = "never finished (killed?)" if full.finished_at is None else "failed"
        raise BuildNotComplete(f"{full.describe()} {state}: run `dbt build --full-refresh` to completion, "
                               "then the marts gate")
    if latest.status != "success":
        state = "never finished (killed?)" if latest.finished_at is None else f"failed ({latest.errors} node(s))"
        raise BuildNotComplete(f"{latest.describe()} {state}: run a complete `dbt build`, then the marts gate")
    return latest
