"""The append-only publication history: one row per publication, value changes per KPI key.

Only changes are stored (see migrations/005_publish.sql): each publication's values are
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
from publish.scope import PublishScope, key_match, keyable, keys_table

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


def _grain_object(spec: TableSpec, alias: str) -> sql.Composed:
    return sql.SQL("jsonb_build_object({})").format(sql.SQL(", ").join(
        sql.SQL("{}, {}.{}").format(sql.Literal(g), sql.Identifier(alias), sql.Identifier(g)) for g in spec.grain or ()))


def _unpivot(schema: str, spec: TableSpec, keys: str | None) -> sql.Composed:
    """(grain jsonb, measure text, value numeric) for every key (or every key in `keys`) and measure."""
    values = sql.SQL(", ").join(
        sql.SQL("({}, t.{}{})").format(
            sql.Literal(m.name), sql.Identifier(m.name),
            sql.SQL("::int::numeric" if m.type == "boolean" else "::numeric"),
        )
        for m in spec.measures
    )
    scoped = sql.SQL("")
    if keys is not None:
        scoped = sql.SQL(" join {} as k on {}").format(sql.Identifier(keys), key_match(spec, "t", "k"))
    return sql.SQL(
        "select {grain} as grain, v.measure, v.value"
        " from {schema}.{table} t{scoped} cross join lateral (values {values}) as v(measure, value)"
    ).format(grain=_grain_object(spec, "t"), schema=sql.Identifier(schema), table=sql.Identifier(spec.name),
             scoped=scoped, values=values)


def _previous_all(spec: TableSpec) -> sql.Composed:
    """The latest recorded value of every key and measure of the table (reads its whole history)."""
    return sql.SQL("""select distinct on (grain, measure) grain, measure, value, is_removed
    from audit.published_kpi_values
   where table_name = {table}
   order by grain, measure, publication_id desc""").format(table=sql.Literal(spec.name))


def _previous_of_keys(spec: TableSpec, keys: str) -> sql.Composed:
    """The latest recorded value of the keys in `keys` only: an index lookup per key and measure."""
    return sql.SQL("""select w.grain, w.measure, p.value, p.is_removed
    from (select {grain} as grain, m.measure from {keys} as k cross join unnest({measures}::text[]) as m(measure)) w
    cross join lateral (
      select v.value, v.is_removed from audit.published_kpi_values v
       where v.table_name = {table} and v.grain = w.grain and v.measure = w.measure
       order by v.publication_id desc limit 1) p""").format(
        grain=_grain_object(spec, "k"), keys=sql.Identifier(keys), table=sql.Literal(spec.name),
        measures=sql.Literal([m.name for m in spec.measures]))


def stage_value_changes(conn: psycopg.Connection, schema: str, specs: list[TableSpec],
                        scope: PublishScope | None = None) -> dict[str, ValueChanges]:
    """Compute each KPI table's changes against the history into a temporary table.

    With an incremental scope only the touched keys are compared (they are the only ones whose
    values can have changed); otherwise every key of the table against its whole history."""
    conn.execute(
        f"create temporary table if not exists {STAGE.split('.')[1]} ("
        " table_name text, grain jsonb, measure text, value numeric, is_removed boolean, is_revision boolean)"
        " on commit drop"
    )
    out: dict[str, ValueChanges] = {}
    for spec in specs:
        if not spec.measures:
            continue
        keys = keys_table(spec) if scope is not None and not scope.full and keyable(spec) else None
        previous = _previous_all(spec) if keys is None else _previous_of_keys(spec, keys)
        conn.execute(
            sql.SQL("""insert into {stage}
with cur as ({unpivot}),
prev as ({previous})
select {table}, coalesce(c.grain, p.grain), coalesce(c.measure, p.measure), c.value,
       c.grain is null, p.grain is not null and not p.is_removed and c.grain is not null
  from cur c full join prev p on p.grain = c.grain and p.measure = c.measure
 where (c.grain is null and not p.is_removed)
    or (c.grain is not null and (p.grain is null or p.is_removed or p.value is distinct from c.value))""").format(
                stage=sql.SQL(STAGE), unpivot=_unpivot(schema, spec, keys), previous=previous,
                table=sql.Literal(spec.name)),
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
