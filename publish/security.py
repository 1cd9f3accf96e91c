"""Who may do what, read from the database itself: a role × object privilege table in Markdown.

Generated from pg_catalog (ownership, has_*_privilege), so the README's table is the database's
answer, not a claim about it (tests/publish/test_security_roles.py checks they agree on a freshly
migrated and sealed database). Relations dbt builds later (staging, intermediate, the marts build,
marts, lineage views) get their grants from dbt_project.yml; run the command on a built database
to see them too.
"""
from __future__ import annotations

import psycopg

ROLES = ("motcua_owner", "motcua_ingest", "motcua_transform", "motcua_gate", "motcua_bi", "motcua_auditor",
         "motcua_history")
TABLE_PRIVILEGES = (("SELECT", "S"), ("INSERT", "I"), ("UPDATE", "U"), ("DELETE", "D"), ("TRUNCATE", "T"))
COLUMN_PRIVILEGES = ("SELECT", "INSERT", "UPDATE")
LEGEND = ("Legend: **own** owner · database C connect, T create schemas · schema U usage, C create objects · "
          "table S select, I insert, U update (lower case: some columns only), D delete, T truncate · — nothing. "
          "Superusers bypass all of it; the history's hash chain (`motcua audit verify-history`) "
          "catches what they change.")


def _roles(conn: psycopg.Connection) -> list[tuple[str, bool]]:
    rows = dict(conn.execute("select rolname, rolcanlogin from pg_roles where rolname = any(%s)",
                             (list(ROLES),)).fetchall())
    return [(r, rows[r]) for r in ROLES if r in rows]


def _cell(owner: bool, privileges: str) -> str:
    text = ("**own** " if owner else "") + privileges
    return text.strip() or "—"


def rows(conn: psycopg.Connection, schemas: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
    roles = _roles(conn)
    header = [f"{r}{'' if login else ' (no login)'}" for r, login in roles]
    out: list[list[str]] = []
    db_owner = conn.execute("select pg_get_userbyid(datdba) from pg_database where datname = current_database()"
                            ).fetchone()[0]
    cells = []
    for role, _ in roles:
        privs = "".join(code for priv, code in (("CONNECT", "C"), ("CREATE", "T")) if conn.execute(
            "select has_database_privilege(%s, current_database(), %s)", (role, priv)).fetchone()[0])
        cells.append(_cell(role == db_owner, privs))
    out.append(["database", *cells])
    for schema in schemas:
        found = conn.execute("select oid, pg_get_userbyid(nspowner) from pg_namespace where nspname = %s",
                             (schema,)).fetchone()
        if found is None:
            continue
        oid, owner = found
        cells = []
        for role, _ in roles:
            privs = "".join(code for priv, code in (("USAGE", "U"), ("CREATE", "C")) if conn.execute(
                "select has_schema_privilege(%s, %s::oid, %s)", (role, oid, priv)).fetchone()[0])
            cells.append(_cell(role == owner, privs))
        out.append([f"schema `{schema}`", *cells])
        relations = conn.execute(
            """select c.oid, c.relname, c.relkind, pg_get_userbyid(c.relowner) from pg_class c
                where c.relnamespace = %s and c.relkind in ('r', 'p', 'v', 'm') order by c.relname""",
            (oid,)).fetchall()
        for rel_oid, name, kind, rel_owner in relations:
            cells = []
            for role, _ in roles:
                privs = ""
                for priv, code in TABLE_PRIVILEGES:
                    whole = conn.execute("select has_table_privilege(%s, %s::oid, %s)", (role, rel_oid, priv)).fetchone()[0]
                    # SELECT, INSERT and UPDATE can also be granted on some columns only
                    some = not whole and priv in COLUMN_PRIVILEGES and conn.execute(
                        "select has_any_column_privilege(%s, %s::oid, %s)", (role, rel_oid, priv)).fetchone()[0]
                    privs += code if whole else code.lower() if some else ""
                cells.append(_cell(role == rel_owner, privs))
            label = f"`{schema}.{name}`" + (" (view)" if kind in ("v", "m") else "")
            out.append([label, *cells])
    return ["object", *header], out


def markdown(conn: psycopg.Connection, schemas: tuple[str, ...] = ("raw", "pii", "quality", "lineage", "audit")) -> str:
    header, body = rows(conn, schemas)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + "\n\n" + LEGEND + "\n"
