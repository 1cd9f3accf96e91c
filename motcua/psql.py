"""`motcua psql --role ROLE [psql args…]`: a psql session as one of the project's roles.

It sets PGHOST/PGPORT/PGDATABASE (defaults 127.0.0.1, 25432, motcua), PGUSER=motcua_<role> and the
role's password from MOTCUA_<ROLE>_PASSWORD (the environment or the state folder's secrets.env),
then replaces itself with psql; the password travels in psql's environment, never on a command line
or the terminal. `motcua psql --service-files` instead writes pg_service.conf and pgpass (mode 600)
into the state folder, for tools that take a libpq service name (`psql service=motcua_bi`).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from motcua.db import ROLES
from motcua.settings import local_secret, role_password_var, state_dir
from motcua.args import Parser
from motcua.errors import EXIT_OK, PermanentError, report

SERVICE_FILE = "pg_service.conf"
PASS_FILE = "pgpass"


def _target() -> tuple[str, str, str]:
    return (os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGPORT", "25432"),
            os.environ.get("PGDATABASE", "motcua"))


def _password(role: str) -> str | None:
    """This role's password only (the environment's, else secrets.env): no other secret is read."""
    return local_secret(role_password_var(role)) or None


def find_psql() -> str | None:
    """psql on PATH, else the newest Debian server package's copy."""
    found = shutil.which("psql")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return str(candidates[-1]) if candidates else None


def psql_env(role: str) -> dict[str, str]:
    """The environment psql runs with: the role wins over any PGUSER/PGPASSWORD of the shell."""
    host, port, dbname = _target()
    env = dict(os.environ)
    env.update(PGHOST=host, PGPORT=port, PGDATABASE=dbname, PGUSER=f"motcua_{role}",
               PGAPPNAME=f"motcua-psql-{role}")
    env.pop("PGPASSWORD", None)    # another role's password would only fail the login
    password = _password(role)
    if password:
        env["PGPASSWORD"] = password
    return env


def _escape_pgpass(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def write_service_files(directory: Path) -> tuple[Path, Path]:
    """pg_service.conf (a service motcua_<role> per role) and pgpass (mode 600) in `directory`."""
    host, port, dbname = _target()
    directory.mkdir(parents=True, exist_ok=True)
    services, passwords = [], []
    for role in ROLES:
        services.append(f"[motcua_{role}]\nhost={host}\nport={port}\ndbname={dbname}\nuser=motcua_{role}\n")
        password = _password(role)
        if password:
            passwords.append(":".join(_escape_pgpass(v) for v in (host, port, dbname, f"motcua_{role}", password)))
    service_path, pass_path = directory / SERVICE_FILE, directory / PASS_FILE
    service_path.write_text("\n".join(services))
    # created 600 before any secret is written into it: libpq ignores a pgpass others can read
    fd = os.open(pass_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(passwords) + "\n")
    os.chmod(pass_path, 0o600)
    return service_path, pass_path


def build_parser() -> Parser:
    parser = Parser(
        prog="motcua psql",
        description="psql as a project role (password from the secrets, never printed); "
                    "other arguments go to psql, e.g. -c 'select …'",
        epilog="exit status: psql's own; 2 when psql is missing or the arguments are wrong. "
               "Host, port and database come from PGHOST, PGPORT, PGDATABASE.",
        allow_abbrev=False)
    parser.add_argument("--role", choices=ROLES, default="bi",
                        help="bi reads marts; auditor reads everything incl. raw; transform, ingest, owner "
                             "are the jobs' roles")
    parser.add_argument("--service-files", action="store_true",
                        help=f"write {SERVICE_FILE} and {PASS_FILE} (mode 600) into the state folder and "
                             "print how to use them, instead of starting psql")
    return parser


def main(argv: list[str] | None = None) -> int:
    args, psql_args = build_parser().parse_known_args(argv)

    if args.service_files:
        service_path, pass_path = write_service_files(state_dir())
        print(f"wrote {service_path} and {pass_path} (mode 600); use them with:\n"
              f"  export PGSERVICEFILE={service_path} PGPASSFILE={pass_path}\n"
              f"  psql service=motcua_bi      # or motcua_auditor, motcua_transform, motcua_ingest, motcua_owner")
        return EXIT_OK

    psql = find_psql()
    if psql is None:
        return report("motcua psql", PermanentError(
            "psql not found", hint="install it with 'make setup' (apt-get install -y postgresql-client)"))
    env = psql_env(args.role)
    if "PGPASSWORD" not in env:
        print(f"motcua psql: no MOTCUA_{args.role.upper()}_PASSWORD in the environment or "
              f"{state_dir() / 'secrets.env'}; psql will ask for it (or use ~/.pgpass).", file=sys.stderr)
    sys.stdout.flush()
    os.execve(psql, [psql, *psql_args], env)
    return EXIT_OK  # not reached: execve replaces the process
