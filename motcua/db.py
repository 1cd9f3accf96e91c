"""PostgreSQL connections per least-privilege role (and the entry point of the migrations).

Host, port and database come from the standard libpq variables (PGHOST, PGPORT, PGDATABASE).
The user is the project's role for the job (motcua_ingest, ...) unless PGUSER is set, which
then wins for every role (useful when a DBA runs everything under one account). Passwords come
from PGPASSWORD, MOTCUA_<ROLE>_PASSWORD (environment, else the local secrets file: that one
variable only), or ~/.pgpass as libpq usually does.

Failures are classified here, where they happen: bad settings (an unknown role) are a
PermanentError (DatabaseSettingsError), a database that does not answer a TransientError
(DatabaseUnreachable); both are a DatabaseConfigError, which callers have always caught.
"""
from __future__ import annotations

import os
from pathlib import Path

import psycopg

from motcua import migrations
from motcua.errors import SERVICES_HINT, MotcuaError, PermanentError, TransientError, first_line
from motcua.settings import ROLES, local_secret, role_password_var

__all__ = ["ROLES", "DatabaseConfigError", "DatabaseUnreachable", "DatabaseSettingsError", "conninfo", "connect", "migrate"]


class DatabaseConfigError(MotcuaError, RuntimeError):
    """No connection: the settings name an unknown role, or the database does not answer."""


class DatabaseSettingsError(PermanentError, DatabaseConfigError):
    """The settings are incomplete or invalid (an unknown role, a missing key): fix them, then rerun."""


class DatabaseUnreachable(TransientError, DatabaseConfigError):
    """PostgreSQL did not accept the connection (down, starting, wrong host/port): retry later."""


def target() -> str:
    return f"{os.environ.get('PGHOST', '127.0.0.1')}:{os.environ.get('PGPORT', '25432')}"


def conninfo(role: str = "ingest", dbname: str | None = None) -> str:
    if role not in ROLES:
        raise DatabaseSettingsError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    params = {
        "host": os.environ.get("PGHOST", "127.0.0.1"),
        "port": os.environ.get("PGPORT", "25432"),
        "dbname": dbname or os.environ.get("PGDATABASE", "motcua"),
        "user": os.environ.get("PGUSER") or f"motcua_{role}",
        "application_name": f"motcua-{role}",
        "connect_timeout": os.environ.get("PGCONNECT_TIMEOUT", "10"),
    }
    # Only this role's password is read (and not copied into os.environ): a process that connects
    # as ingest never holds the auditor's or the owner's password.
    password = os.environ.get("PGPASSWORD") or local_secret(role_password_var(role))
    if password:
        params["password"] = password
    return psycopg.conninfo.make_conninfo(**params)


def connect(role: str = "ingest", dbname: str | None = None, autocommit: bool = False) -> psycopg.Connection:
    try:
        return psycopg.connect(conninfo(role, dbname), autocommit=autocommit)
    except psycopg.OperationalError as exc:
        raise DatabaseUnreachable(f"PostgreSQL at {target()} is unreachable: {first_line(exc)}",
                                  hint=f"{SERVICES_HINT}, or set PGHOST/PGPORT/PGDATABASE") from exc


def migrate(dbname: str | None = None, *, reapply: bool = False,
            directory: Path | None = None) -> list[str]:
    """Apply the pending migrations (motcua/migrations.py, files in migrations/); returns the names applied."""
    with connect("owner", dbname, autocommit=True) as conn:
        report = migrations.apply(conn, migrations.discover(directory or migrations.MIGRATIONS_DIR), reapply=reapply)
    return report.applied
