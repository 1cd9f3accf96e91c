"""Versioned migrations of the warehouse's own tables (raw, quality, publication history).

Each file in the top-level migrations/ folder (every schema of the project) is applied once, in
name order, in its own transaction, and recorded in public.schema_migrations with its file name
and checksum. A file edited after it was applied somewhere is
refused (the database would silently keep the old definition): change a schema by adding the
next numbered file. Files are also written to be idempotent, so `reapply` can re-run all of
them to repair what a copy of a database does not carry (database-level grants) or what was
dropped by hand (indexes).
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from motcua.errors import PermanentError

log = logging.getLogger(__name__)

# The top-level migrations/ folder of the checkout (an editable install runs from it too). The
# ledger records the file name only, so moving the folder changed nothing for a migrated database.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
LEDGER = "public.schema_migrations"
LOCK_KEY = 0x6D6967726174   # "migrat": one migrator at a time (compose's migrate job vs a developer)


class MigrationError(PermanentError, RuntimeError):
    """A migration cannot be applied, or an applied one was edited since."""


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass
class MigrationReport:
    applied: list[str] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    return [Migration(p.name, p.read_text()) for p in sorted(directory.glob("*.sql"))]


def _ensure_ledger(conn: psycopg.Connection) -> None:
    conn.execute(f"""create table if not exists {LEDGER} (
                         name text primary key, checksum text not null,
                         applied_at timestamptz not null default now())""")
    conn.execute(f"revoke all on {LEDGER} from public")


def _recorded(conn: psycopg.Connection) -> dict[str, tuple[str, object]]:
    return {name: (checksum, at) for name, checksum, at in
            conn.execute(f"select name, checksum, applied_at from {LEDGER}").fetchall()}


def _forward_warnings(diag: psycopg.errors.Diagnostic) -> None:
    # A migration raises WARNING for what needs the operator (e.g. 112: a step before a take-over);
    # its NOTICEs ("already exists, skipping") are the idempotent files' normal chatter.
    if diag.severity_nonlocalized == "WARNING":
        log.warning("migration: %s", diag.message_primary)


def apply(conn: psycopg.Connection, migrations: list[Migration], reapply: bool = False) -> MigrationReport:
    """Apply what is pending on an autocommit connection (as the schema owner)."""
    report = MigrationReport()
    conn.add_notice_handler(_forward_warnings)
    conn.execute("select pg_advisory_lock(%s)", (LOCK_KEY,))
    try:
        _ensure_ledger(conn)
        recorded = _recorded(conn)
        for m in migrations:
            if m.name in recorded and recorded[m.name][0] != m.checksum:
                raise MigrationError(
                    f"{m.name} was edited after it was applied to this database ({recorded[m.name][1]:%Y-%m-%d %H:%M}): "
                    "applied migrations are append-only; restore the file and put the change in a new numbered file"
                )
        for m in migrations:
            if m.name in recorded and not reapply:
                report.up_to_date.append(m.name)
                continue
            with conn.transaction():
                try:
                    conn.execute(m.sql)
                except psycopg.Error as exc:
                    raise MigrationError(f"{m.name} failed and was rolled back: {exc}") from exc
                conn.execute(f"insert into {LEDGER} (name, checksum) values (%s, %s) "
                             "on conflict (name) do update set applied_at = now()", (m.name, m.checksum))
            log.debug("applied %s", m.name)
            report.applied.append(m.name)
    finally:
        conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))
    return report
