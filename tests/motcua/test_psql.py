"""`motcua psql --role …` and the generated libpq service files: a working way in for each role."""
from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from ingestion import db
from ingestion.settings import local_secret, role_password_var

ROLE_USERS = {"bi": "motcua_bi", "auditor": "motcua_auditor", "transform": "motcua_transform",
              "ingest": "motcua_ingest", "owner": "motcua_owner"}


def motcua(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture()
def shell_env(pg_db) -> dict[str, str]:
    """A new shell's environment: PG* target the test database, and a PGUSER/PGPASSWORD of another
    account that must not leak into the role's session."""
    env = dict(os.environ)
    env.update(PGDATABASE=pg_db, PGUSER="someone_else", PGPASSWORD="not-a-password")
    return env


@pytest.mark.parametrize("role", sorted(ROLE_USERS))
def test_each_role_logs_in_without_printing_its_password(role, shell_env):
    result = motcua("psql", "--role", role, "-Atc", "select current_user, current_database()", env=shell_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{ROLE_USERS[role]}|{shell_env['PGDATABASE']}"
    password = local_secret(role_password_var(role))
    assert password and password not in result.stdout + result.stderr


def test_bi_reads_marts_but_not_raw(shell_env):
    with db.connect("owner", shell_env["PGDATABASE"], autocommit=True) as conn:
        # what dbt and publish leave behind, in miniature: schema marts readable by BI
        conn.execute("create schema marts")
        conn.execute("grant usage on schema marts to motcua_bi")
        conn.execute("create table marts.fct_cases (case_id text)")
        conn.execute("insert into marts.fct_cases values ('A'), ('B'), ('C')")
        conn.execute("grant select on marts.fct_cases to motcua_bi")
    ok = motcua("psql", "--role", "bi", "-Atc", "select count(*) from marts.fct_cases", env=shell_env)
    assert (ok.returncode, ok.stdout.strip()) == (0, "3"), ok.stderr
    refused = motcua("psql", "--role", "bi", "-v", "ON_ERROR_STOP=1", "-c", "select count(*) from raw.case_events",
                     env=shell_env)
    assert refused.returncode != 0
    assert "permission denied for schema raw" in refused.stderr


def test_service_files_are_private_and_work_in_a_new_shell(shell_env, tmp_path):
    shell_env["MOTCUA_STATE_DIR"] = str(tmp_path)
    # tmp_path has no secrets.env: the passwords come from the environment, as in production
    shell_env.update({role_password_var(r): local_secret(role_password_var(r)) for r in ROLE_USERS})
    result = motcua("psql", "--service-files", env=shell_env)
    assert result.returncode == 0, result.stderr
    service, pgpass = tmp_path / "pg_service.conf", tmp_path / "pgpass"
    assert stat.S_IMODE(pgpass.stat().st_mode) == 0o600
    assert shell_env["MOTCUA_BI_PASSWORD"] not in result.stdout
    # a shell with nothing but the two files: no MOTCUA_* password, no PGUSER/PGPASSWORD
    bare = {k: v for k, v in shell_env.items() if not k.startswith(("MOTCUA_", "PG"))}
    bare.update(PGSERVICEFILE=str(service), PGPASSFILE=str(pgpass))
    for role, user in (("bi", "motcua_bi"), ("auditor", "motcua_auditor")):
        proc = subprocess.run(["psql", f"service=motcua_{role}", "-Atc", "select current_user"],
                              capture_output=True, text=True, env=bare, timeout=30)
        assert (proc.returncode, proc.stdout.strip()) == (0, user), proc.stderr
