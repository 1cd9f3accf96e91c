"""Run the project's dbt (dbt_project/) against a test database, in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ingestion.settings import DBT_SECRETS, PROJECT_ROOT, load_local_secrets

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")
# where the tests' dbt runs build the marts (the project's default; set so a developer's own
# MOTCUA_BUILD_SCHEMA does not move them)
BUILD_SCHEMA = "marts_build"


class DbtFailed(AssertionError):
    """dbt exited non-zero; the message carries the tail of its output."""


def dbt_env(dbname: str) -> dict[str, str]:
    load_local_secrets(*DBT_SECRETS)  # MOTCUA_TRANSFORM_PASSWORD and MOTCUA_PII_HMAC_KEY for local runs
    env = dict(os.environ)
    env.update(PGDATABASE=dbname, DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               MOTCUA_BUILD_SCHEMA=BUILD_SCHEMA)
    return env


def run_dbt(dbname: str, *args: str, target_path: Path, as_of: str | None = None,
            extra_vars: dict | None = None, timeout: int = 600, env_overrides: dict[str, str] | None = None) -> str:
    """`dbt <args>` on `dbname`; target_path keeps parallel test runs apart (and partial parsing)."""
    variables = dict(extra_vars or {})
    cmd = [str(DBT), *args, "--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT),
           "--target-path", str(target_path), "--log-path", str(target_path / "logs")]
    if variables:
        cmd += ["--vars", json.dumps(variables)]
    env = dbt_env(dbname)
    if as_of:  # through the environment: a changed --vars would defeat partial parsing
        env["MOTCUA_AS_OF"] = as_of
    env.update(env_overrides or {})
    proc = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise DbtFailed(f"dbt {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout
