"""What the build schema holds: the tables to publish, their columns, keys and measures.

Read from pg_catalog (metadata only), inside the publishing transaction.
"""
from __future__ import annotations

from dataclasses import dataclass

import psycopg

from publish.config import (
    AUDIT_TABLES, CONTRACT_TABLES, KPI_GRAINS, MARTS, Destination, destination, is_extra_published_table,
)
from publish.errors import PublishError

# Column types whose values are figures (booleans are the met/not-met flags, recorded as 1/0).
NUMERIC_TYPES = ("smallint", "integer", "bigint", "numeric", "real", "double precision", "boolean")


@dataclass(frozen=True)
class Column:
    name: str
    type: str          # format_type(), e.g. "numeric(5,4)", "timestamp with time zone"

    @property
    def is_measure_type(self) -> bool:
        return self.type.split("(")[0] in NUMERIC_TYPES


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    grain: tuple[str, ...] | None      # None: published, but no value history (fct_cases, seeds)
    destination: Destination = MARTS   # where it is published (the KPI membership: audit)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def measures(self) -> tuple[Column, ...]:
        if self.grain is None:
            return ()
        return tuple(c for c in self.columns if c.is_measure_type and c.name not in self.grain)


def table_columns(conn: psycopg.Connection, schema: str, table: str) -> tuple[Column, ...]:
    rows = conn.execute(
        """select a.attname, format_type(a.atttypid, a.atttypmod)
             from pg_attribute a
             join pg_class c on c.oid = a.attrelid
             join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = %s and c.relname = %s and c.relkind in ('r', 'p', 'v', 'm')
              and a.attnum > 0 and not a.attisdropped
            order by a.attnum""",
        (schema, table),
    ).fetchall()
    return tuple(Column(name, type_) for name, type_ in rows)


def _unique_key(conn: psycopg.Connection, schema: str, table: str) -> tuple[str, ...] | None:
    """The primary key, else the narrowest unique index without expressions or predicate."""
    row = conn.execute(
        """select array_agg(a.attname order by k.ord)
             from pg_index i
             join pg_class c on c.oid = i.indrelid
             join pg_namespace n on n.oid = c.relnamespace
             cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
             join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
            where n.nspname = %s and c.relname = %s and i.indisunique
              and i.indpred is null and i.indexprs is null
            group by i.indexrelid, i.indisprimary, i.indnatts
            order by i.indisprimary desc, i.indnatts, i.indexrelid
            limit 1""",
        (schema, table),
    ).fetchone()
    return tuple(row[0]) if row else None


def discover(conn: psycopg.Connection, build_schema: str,
             declared_grains: dict[str, tuple[str, ...]] | None = None) -> list[TableSpec]:
    """The tables of one publication, in a stable order; missing contract tables are an error.

    Views count too (the scorecard is a view over the monthly KPIs): the published copy is a
    table holding the view's rows at publication time, computed from the build being published.
    """
    present = {
        name for (name,) in conn.execute(
            """select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')""",
            (build_schema,),
        ).fetchall()
    }
    missing = [t for t in CONTRACT_TABLES if t not in present]
    if missing:
        raise PublishError(
            f"the build schema {build_schema!r} lacks the contract table(s) {', '.join(missing)}: "
            "did dbt build into it? (MOTCUA_BUILD_SCHEMA must name the schema dbt builds the marts in)"
        )
    names = list(CONTRACT_TABLES) + sorted(t for t in present if t not in CONTRACT_TABLES and is_extra_published_table(t))
    names += sorted(t for t in AUDIT_TABLES if t in present)
    specs = []
    for name in names:
        columns = table_columns(conn, build_schema, name)
        if name in KPI_GRAINS:
            grain: tuple[str, ...] | None = KPI_GRAINS[name]
        elif name in AUDIT_TABLES:
            grain = None    # evidence behind the figures, not figures: no value history
        elif name.startswith("kpi_") or "scorecard" in name:
            grain = _unique_key(conn, build_schema, name) or (declared_grains or {}).get(name)
        else:
            grain = None
        if grain is not None:
            absent = [g for g in grain if g not in {c.name for c in columns}]
            if absent:
                raise PublishError(f"{build_schema}.{name} lacks its key column(s) {', '.join(absent)}")
        specs.append(TableSpec(name=name, columns=columns, grain=grain, destination=destination(name)))
    return specs
