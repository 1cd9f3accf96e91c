"""Copy the built tables into their published schemas, inside the caller's transaction.

All in the publishing transaction: BI sees either the previous publication or the new one, never
a mix (its queries wait for the commit, at most seconds). Either every table is refilled
(truncate + insert), or only the rows in the publication's scope are replaced (publish/scope.py).
A missing published table is created with the build table's columns, indexes and comments and
granted to its readers; one whose columns changed (a new contract version) is recreated.
"""
from __future__ import annotations

import logging

import psycopg
from psycopg import sql

from publish.catalog import TableSpec, table_columns
from publish.config import Destination
from publish.errors import PublishError
from publish.scope import PublishScope, key_match, keyable, keys_table

log = logging.getLogger(__name__)


def _ident(*parts: str) -> sql.Composed:
    return sql.SQL(".").join(sql.Identifier(p) for p in parts)


def ensure_schema(conn: psycopg.Connection, dest: Destination) -> None:
    conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(dest.schema)))
    grant_readers(conn, dest, sql.SQL("usage on schema {}").format(sql.Identifier(dest.schema)))


def grant_readers(conn: psycopg.Connection, dest: Destination, what: sql.Composable) -> None:
    roles = sql.SQL(", ").join(sql.Identifier(r) for r in dest.readers)
    conn.execute(sql.SQL("grant {} to {}").format(what, roles))


def _create_like(conn: psycopg.Connection, build_schema: str, spec: TableSpec) -> None:
    dst = _ident(spec.destination.schema, spec.name)
    conn.execute(sql.SQL(
        "create table {dst} (like {src} including defaults including constraints including indexes including comments)"
    ).format(dst=dst, src=_ident(build_schema, spec.name)))
    # persist_docs puts the table comment on the build table; LIKE copies column comments only.
    comment = conn.execute("select obj_description(%s::regclass, 'pg_class')",
                           (f"{build_schema}.{spec.name}",)).fetchone()[0]
    if comment:
        conn.execute(sql.SQL("comment on table {} is {}").format(dst, sql.Literal(comment)))


def ensure_table(conn: psycopg.Connection, build_schema: str, spec: TableSpec) -> str:
    """Make the published table match the build table's columns; returns what was done."""
    schema = spec.destination.schema
    current = table_columns(conn, schema, spec.name)
    kind = conn.execute("select c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                        "where n.nspname = %s and c.relname = %s", (schema, spec.name)).fetchone()
    action = "kept"
    if current and (current != spec.columns or kind[0] not in ("r", "p")):
        # a new contract version, or a table dbt built there itself before it built into a build schema
        log.warning("%s.%s: columns or kind changed since the last publication; recreating it", schema, spec.name)
        drop = {"r": "drop table {}", "p": "drop table {}", "v": "drop view {}"}.get(kind[0], "drop materialized view {}")
        try:
            with conn.transaction():   # savepoint: report a dependent view clearly
                conn.execute(sql.SQL(drop).format(_ident(schema, spec.name)))
        except psycopg.errors.DependentObjectsStillExist as exc:
            raise PublishError(
                f"{schema}.{spec.name} changed shape and objects depend on it ({exc.diag.message_detail}); "
                "drop or migrate them first"
            ) from exc
        current, action = (), "recreated"
    if not current:
        _create_like(conn, build_schema, spec)
        action = "created" if action == "kept" else action
    grant_readers(conn, spec.destination, sql.SQL("select on table {}").format(_ident(schema, spec.name)))
    return action


def prepare_tables(conn: psycopg.Connection, build_schema: str, specs: list[TableSpec]) -> dict[str, str]:
    """Published schemas and tables ready for the build's rows; returns what was done per table."""
    for dest in {s.destination for s in specs}:
        ensure_schema(conn, dest)
    return {spec.name: ensure_table(conn, build_schema, spec) for spec in specs}


def _is_empty(conn: psycopg.Connection, spec: TableSpec) -> bool:
    return not conn.execute(sql.SQL("select exists (select from {})").format(
        _ident(spec.destination.schema, spec.name))).fetchone()[0]


def copy_rows(conn: psycopg.Connection, build_schema: str, specs: list[TableSpec],
              scope: PublishScope) -> dict[str, dict[str, int]]:
    """Replace the published rows in scope by the build's (caller commits, after prepare_tables).

    Returns per table {"rows": n} when it was refilled whole, else {"replaced": deleted,
    "copied": inserted}: counting a whole table would cost what the scope saves."""
    # an empty published table (just created, or recreated for a new shape) is refilled whole:
    # copying only the scope's rows into it would drop every other row
    whole = [s for s in specs if scope.full or not keyable(s) or _is_empty(conn, s)]
    if whole:
        conn.execute(sql.SQL("truncate {}").format(
            sql.SQL(", ").join(_ident(s.destination.schema, s.name) for s in whole)))
    counts: dict[str, dict[str, int]] = {}
    for spec in specs:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in spec.column_names)
        dst, src = _ident(spec.destination.schema, spec.name), _ident(build_schema, spec.name)
        if spec in whole:
            cur = conn.execute(sql.SQL("insert into {dst} ({cols}) select {cols} from {src}").format(
                dst=dst, src=src, cols=cols))
            counts[spec.name] = {"rows": cur.rowcount}
            continue
        keys = sql.Identifier(keys_table(spec))
        deleted = conn.execute(sql.SQL("delete from {dst} as d using {keys} as k where {match}").format(
            dst=dst, keys=keys, match=key_match(spec, "d", "k"))).rowcount
        src_cols = sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in spec.column_names)
        copied = conn.execute(sql.SQL(
            "insert into {dst} ({cols}) select {src_cols} from {src} as s join {keys} as k on {match}").format(
            dst=dst, cols=cols, src_cols=src_cols, src=src, keys=keys, match=key_match(spec, "s", "k"))).rowcount
        counts[spec.name] = {"replaced": deleted, "copied": copied}
    return counts
