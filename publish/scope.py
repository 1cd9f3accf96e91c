"""What a publication must copy: everything, or only what the builds since the last one touched.

dbt appends to `<build schema>.publish_queue` the cases each completed nightly chain recomputed
(a NULL case_id when it rebuilt everything; macros/watermark.sql). A publication then copies
those cases' rows of fct_cases and of the KPI membership, and the KPI rows those cases count in
before (per the published membership) or after (per the build's): exactly the rows dbt replaced,
so the work follows the night's changes, not the size of the history. Anything that makes the
queue untrustworthy (no queue, a full build queued, a published table missing or reshaped)
publishes everything, as the first publication does.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from publish.catalog import TableSpec
from publish.config import AUDIT_TABLES

QUEUE = "publish_queue"
MEMBERSHIP = "kpi_case_membership"
CASES = "publish_cases"                    # pg_temp: the queued cases of this publication
# tables whose rows belong to one case (fct_case_flags: recomputed with its case, like fct_cases)
BY_CASE = ("fct_cases", MEMBERSHIP, "fct_case_flags")
MEMBERSHIP_KEY_COLUMNS = ("officer_id", "agency_code", "activity_date", "month")


@dataclass(frozen=True)
class PublishScope:
    full: bool
    reason: str
    invocations: tuple[str, ...] = ()      # dbt runs whose queue entries this publication consumes
    cases: int = 0

    def as_json(self) -> dict:
        return {"full": self.full, "reason": self.reason, "dbt_runs": len(self.invocations), "cases": self.cases}


def read(conn: psycopg.Connection, build_schema: str, force_full: bool = False) -> PublishScope:
    """Read the queue (inside the publishing transaction) and stage the queued cases in pg_temp."""
    queue = sql.Identifier(build_schema, QUEUE)
    if conn.execute("select to_regclass(%s)", (f"{build_schema}.{QUEUE}",)).fetchone()[0] is None:
        return PublishScope(True, f"no {build_schema}.{QUEUE} (a build made before the queue existed, or by hand)")
    # lock out a dbt run appending meanwhile: what is read is exactly what is consumed
    conn.execute(sql.SQL("lock table {} in share row exclusive mode").format(queue))
    rows = conn.execute(sql.SQL("select invocation_id, bool_or(case_id is null) from {} group by 1").format(queue)).fetchall()
    invocations = tuple(r[0] for r in rows)
    if force_full:
        return PublishScope(True, "asked for (--full)", invocations)
    if any(r[1] for r in rows):
        return PublishScope(True, "a full build is queued", invocations)
    conn.execute(sql.SQL(f"create temporary table {CASES} on commit drop as "
                         "select distinct case_id from {} where case_id is not null").format(queue))
    conn.execute(f"create unique index on {CASES} (case_id)")
    conn.execute(f"analyze {CASES}")
    cases = conn.execute(f"select count(*) from {CASES}").fetchone()[0]
    return PublishScope(False, f"{cases} case(s) queued by {len(invocations)} dbt run(s)", invocations, cases)


def consume(conn: psycopg.Connection, build_schema: str, scope: PublishScope) -> None:
    """Drop the queue entries this publication copied (same transaction as the copy)."""
    if scope.invocations:
        conn.execute(sql.SQL("delete from {} where invocation_id = any(%s)").format(sql.Identifier(build_schema, QUEUE)),
                     (list(scope.invocations),))


def keyable(spec: TableSpec) -> bool:
    """Rows of this table can be chosen by the queued cases."""
    if spec.name in BY_CASE:
        return True
    return bool(spec.grain) and set(spec.grain) <= set(MEMBERSHIP_KEY_COLUMNS) and spec.name not in AUDIT_TABLES


def keys_table(spec: TableSpec) -> str:
    return CASES if spec.name in BY_CASE else f"publish_keys_{spec.name}"[:63]


TOUCHED = "publish_touched_membership"  # pg_temp: the queued cases' membership rows, before and after


def _stage_touched_membership(conn: psycopg.Connection, build_schema: str, published_membership: str) -> None:
    """Read the queued cases' membership rows once (published = before, build = after)."""
    if conn.execute("select to_regclass(%s)", (f"pg_temp.{TOUCHED}",)).fetchone()[0] is not None:
        return
    cols = sql.SQL(", ").join(sql.Identifier(c) for c in MEMBERSHIP_KEY_COLUMNS)
    union = sql.SQL(" union all ").join(
        sql.SQL("select {cols} from {src} where case_id in (select case_id from {cases})").format(
            cols=cols, src=src, cases=sql.Identifier(CASES))
        for src in (sql.Identifier(*published_membership.split(".")), sql.Identifier(build_schema, MEMBERSHIP)))
    conn.execute(sql.SQL("create temporary table {} on commit drop as {}").format(sql.Identifier(TOUCHED), union))


def stage_touched_keys(conn: psycopg.Connection, build_schema: str, published_membership: str,
                       spec: TableSpec) -> None:
    """The table's keys the queued cases count in, before (published) or after (built)."""
    _stage_touched_membership(conn, build_schema, published_membership)
    grain = spec.grain or ()
    name = keys_table(spec)
    conn.execute(sql.SQL("create temporary table {name} on commit drop as "
                         "select distinct {cols} from {touched} where {not_null}").format(
        name=sql.Identifier(name), cols=sql.SQL(", ").join(sql.Identifier(g) for g in grain),
        touched=sql.Identifier(TOUCHED),
        not_null=sql.SQL(" and ").join(sql.SQL("{} is not null").format(sql.Identifier(g)) for g in grain)))
    conn.execute(sql.SQL("analyze {}").format(sql.Identifier(name)))


def key_match(spec: TableSpec, left: str, right: str) -> sql.Composed:
    """`left.k = right.k and ...` over the columns that choose the table's rows."""
    columns = ("case_id",) if spec.name in BY_CASE else tuple(spec.grain or ())
    return sql.SQL(" and ").join(
        sql.SQL("{}.{} = {}.{}").format(sql.Identifier(left), sql.Identifier(c), sql.Identifier(right), sql.Identifier(c))
        for c in columns)
