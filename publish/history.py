"""The append-only publication history: one row per publication, value changes per KPI key.

Only changes are stored (see ingestion/sql/005_publish.sql): each publication's values are
compared with the latest value every key has in the history, so the history itself, not the
marts tables, is the baseline (it stays right even if someone wrote into marts by hand).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from publish.catalog import TableSpec

STAGE = "pg_temp.publish_values"


@dataclass(frozen=True)
class ValueChanges:
    changed: int = 0        # keys whose value differs from the previous publication (revisions)
    added: int = 0          # keys seen for the first time
    removed: int = 0        # keys gone from the table

    @property
    def rows(self) -> int:
        return self.changed + self.added + self.removed

    def as_json(self) -> dict[str, int]:
        return {"changed": self.changed, "added": self.added, "removed": self.removed}


def _unpivot(schema: str, spec: TableSpec) -> sql.Composed:
    """(grain jsonb, measure text, value numeric) for every key and measure of the table."""
    grain = sql.SQL(", ").join(
        sql.SQL("{}, t.{}").format(sql.Literal(g), sql.Identifier(g)) for g in spec.grain or ()
    )
    values = sql.SQL(", ").join(
        sql.SQL("({}, t.{}{})").format(
            sql.Literal(m.name), sql.Identifier(m.name),
            sql.SQL("::int::numeric" if m.type == "boolean" else "::numeric"),
        )
        for m in spec.measures
    )
    return sql.SQL(
        "select jsonb_build_object({grain}) as grain, v.measure, v.value"
        " from {schema}.{table} t cross join lateral (values {values}) as v(measure, value)"
    ).format(grain=grain, schema=sql.Identifier(schema), table=sql.Identifier(spec.name), values=values)


def stage_value_changes(conn: psycopg.Connection, schema: str, specs: list[TableSpec]) -> dict[str, ValueChanges]:
    """Compute each KPI table's changes against the history into a temporary table."""
    conn.execute(
        f"create temporary table if not exists {STAGE.split('.')[1]} ("
        " table_name text, grain jsonb, measure text, value numeric, is_removed boolean, is_revision boolean)"
        " on commit drop"
    )
    out: dict[str, ValueChanges] = {}
    for spec in specs:
        if not spec.measures:
            continue
        conn.execute(
            sql.SQL("""insert into {stage}
with cur as ({unpivot}),
prev as (
  select distinct on (grain, measure) grain, measure, value, is_removed
    from audit.published_kpi_values
   where table_name = {table}
   order by grain, measure, publication_id desc)
select {table}, coalesce(c.grain, p.grain), coalesce(c.measure, p.measure), c.value,
       c.grain is null, p.grain is not null and not p.is_removed and c.grain is not null
  from cur c full join prev p on p.grain = c.grain and p.measure = c.measure
 where (c.grain is null and not p.is_removed)
    or (c.grain is not null and (p.grain is null or p.is_removed or p.value is distinct from c.value))""").format(
                stage=sql.SQL(STAGE), unpivot=_unpivot(schema, spec), table=sql.Literal(spec.name)),
        )
        changed, added, removed = conn.execute(
            f"""select count(*) filter (where is_revision), count(*) filter (where not is_revision and not is_removed),
                       count(*) filter (where is_removed) from {STAGE} where table_name = %s""",
            (spec.name,),
        ).fetchone()
        out[spec.name] = ValueChanges(changed=changed, added=added, removed=removed)
    return out


def record_publication(conn: psycopg.Connection, *, run_id: str, local_date: date, interval_start: datetime,
                       interval_end: datetime, git_commit: str | None, dbt_invocation_id: str | None,
                       build_schema: str, swapped: bool, gate_summary: dict, tables: dict) -> tuple[int, datetime]:
    """Append the publication row, then the staged value changes under its id."""
    publication_id, published_at = conn.execute(
        """insert into audit.publications (run_id, local_date, data_interval_start, data_interval_end, git_commit,
                                           dbt_invocation_id, build_schema, swapped, gate_summary, tables)
           values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning publication_id, published_at""",
        (run_id, local_date, interval_start, interval_end, git_commit, dbt_invocation_id, build_schema, swapped,
         Jsonb(gate_summary), Jsonb(tables)),
    ).fetchone()
    conn.execute(
        f"""insert into audit.published_kpi_values (publication_id, table_name, grain, measure, value, is_removed)
            select %s, table_name, grain, measure, value, is_removed from {STAGE}""",
        (publication_id,),
    )
    return publication_id, published_at


def newest_swapped_interval_end(conn: psycopg.Connection) -> datetime | None:
    return conn.execute("select max(data_interval_end) from audit.publications where swapped").fetchone()[0]
