"""A process holds only the secret its job needs, not every role's password from the secrets file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from ingestion.settings import PROJECT_ROOT, state_dir

# Runs in a fresh interpreter: what is in its environment after it did its job?
PROBE = """
import json, os, sys
from ingestion import db
from ingestion.settings import DBT_SECRETS, load_local_secrets
job = sys.argv[1]
if job == "dbt":
    load_local_secrets(*DBT_SECRETS)
    user = None
else:
    with db.connect(job) as conn:
        user = conn.execute("select current_user").fetchone()[0]
secrets = sorted(k for k in os.environ if k.startswith("MOTCUA_") and k.endswith(("_PASSWORD", "_KEY")))
print(json.dumps({"user": user, "secrets": secrets}))
"""


def probe(job: str) -> dict:
    # the environment a scheduler gives a job locally: no secret, the state folder with the file
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("MOTCUA_") and k.endswith(("_PASSWORD", "_KEY"))) and k != "PGPASSWORD"}
    env["MOTCUA_STATE_DIR"] = str(state_dir())
    result = subprocess.run([sys.executable, "-c", PROBE, job], env=env, cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_secrets_file_holds_every_role(services):
    names = {line.partition("=")[0] for line in (state_dir() / "secrets.env").read_text().splitlines()}
    assert {"MOTCUA_OWNER_PASSWORD", "MOTCUA_AUDITOR_PASSWORD", "MOTCUA_INGEST_PASSWORD"} <= names


def test_connecting_as_ingest_loads_no_other_password(services):
    # connected (so the ingest password was found), yet no password, not even its own, sits in the environment
    assert probe("ingest") == {"user": "motcua_ingest", "secrets": []}


def test_dbt_gets_its_role_and_the_hmac_key_only(services):
    assert probe("dbt") == {"user": None, "secrets": ["MOTCUA_PII_HMAC_KEY", "MOTCUA_TRANSFORM_PASSWORD"]}
