"""The key that hashes applicants' personal data cannot change silently (its fingerprint is kept
in the database); the applicant pseudonym is out of BI's reach, and a database built before it
left fct_cases keeps building and publishing."""
from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from ingestion import db
from ingestion.settings import PROJECT_ROOT
from publish import PublishConfig, PublishRequest, publish
from tests.dbt.dbt_runner import BUILD_SCHEMA, DbtFailed, run_dbt
from tests.dbt.events import insert_events, received, vn

AS_OF = "2026-03-10T00:00:00+07:00"
ID_NUMBER = "079123456789"
KEY_A = "first-key-0123456789abcdef"
KEY_B = "second-key-fedcba9876543210"
LABEL = b"motcua-pii-hmac-key-fingerprint-v1"   # the fixed label of migration 030
# staging + the lineage view only: the key check runs on every invocation (on-run-start)
VIEWS = ("run", "--select", "+case_applicants")  # the applicants view and the staging views under it


def fingerprint(key: str) -> str:
    return hmac.new(key.encode(), LABEL, hashlib.sha256).hexdigest()


def pseudonym(key: str) -> str:
    return hmac.new(key.encode(), ID_NUMBER.encode(), hashlib.sha256).hexdigest()


def scalar(dbname: str, sql: str, role: str = "auditor"):
    with db.connect(role, dbname) as conn:
        return conn.execute(sql).fetchone()[0]


def motcua(dbname: str, *args: str, key: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PGDATABASE": dbname, "MOTCUA_PII_HMAC_KEY": key}
    return subprocess.run([sys.executable, "-m", "motcua.cli", *args], env=env, cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)


def test_another_key_fails_dbt_until_rotated(pg_db, dbt_target):
    insert_events(pg_db, [received("K1", vn("2026-03-02 09:00"), vn("2026-03-05 09:00"),
                                   applicant={"id_number": ID_NUMBER, "full_name": "Trần Thị B"})])
    run_dbt(pg_db, *VIEWS, target_path=dbt_target, env_overrides={"MOTCUA_PII_HMAC_KEY": KEY_A})
    # first use recorded the fingerprint, never the key
    assert scalar(pg_db, "select fingerprint from pii.key_fingerprint") == fingerprint(KEY_A)
    assert scalar(pg_db, "select applicant_id_hash from lineage.case_applicants where case_id = 'K1'") == pseudonym(KEY_A)

    # another key: dbt stops with one error that says what to do, and nothing is re-keyed
    with pytest.raises(DbtFailed) as failed:
        run_dbt(pg_db, *VIEWS, target_path=dbt_target, env_overrides={"MOTCUA_PII_HMAC_KEY": KEY_B})
    output = str(failed.value)
    assert "not the key this database's applicant hashes were made with" in output
    assert "motcua pii rotate-key" in output
    assert KEY_B not in output and KEY_A not in output
    assert scalar(pg_db, "select applicant_id_hash from lineage.case_applicants where case_id = 'K1'") == pseudonym(KEY_A)
    status = motcua(pg_db, "pii", "status", key=KEY_B)
    assert status.returncode == 1 and "rotate-key" in status.stderr
    # dbt's role may record the first fingerprint, never replace it
    with pytest.raises(Exception, match="permission denied"):
        scalar(pg_db, "update pii.key_fingerprint set fingerprint = repeat('0', 64) returning 1", role="transform")

    # the explicit rotation: the new fingerprint is recorded, the next run re-hashes with the new key
    rotated = motcua(pg_db, "pii", "rotate-key", key=KEY_B)
    assert rotated.returncode == 0, rotated.stderr
    assert scalar(pg_db, "select fingerprint from pii.key_fingerprint") == fingerprint(KEY_B)
    assert scalar(pg_db, "select (old_fingerprint, new_fingerprint)::text from pii.key_rotations") == \
        f"({fingerprint(KEY_A)},{fingerprint(KEY_B)})"
    run_dbt(pg_db, *VIEWS, target_path=dbt_target, env_overrides={"MOTCUA_PII_HMAC_KEY": KEY_B})
    assert scalar(pg_db, "select applicant_id_hash from lineage.case_applicants where case_id = 'K1'") == pseudonym(KEY_B)
    assert motcua(pg_db, "pii", "status", key=KEY_B).returncode == 0
    # and the old key is now the one refused
    assert motcua(pg_db, "pii", "status", key=KEY_A).returncode == 1


def test_a_database_keyed_before_fingerprints_keeps_its_key(pg_db, dbt_target):
    # a database whose key table exists from before migration 030 (no fingerprint recorded yet)
    with db.connect("transform", pg_db) as conn:
        conn.execute("create schema if not exists intermediate")
        conn.execute("create table intermediate._pii_hmac_key (singleton boolean primary key default true"
                     " check (singleton), key text not null)")
        conn.execute("insert into intermediate._pii_hmac_key (key) values (%s)", (KEY_A,))
    with pytest.raises(DbtFailed, match="motcua pii rotate-key"):
        run_dbt(pg_db, *VIEWS, target_path=dbt_target, env_overrides={"MOTCUA_PII_HMAC_KEY": KEY_B})
    assert scalar(pg_db, "select fingerprint from pii.key_fingerprint") == fingerprint(KEY_A)


def test_old_shape_fct_cases_upgrades_and_publishes_whole(pg_db, dbt_target):
    """Built and published while fct_cases still had applicant_id_hash: the next incremental
    night drops the column, and publishing recreates BI's table with every case, not just the night's."""
    key = {"MOTCUA_PII_HMAC_KEY": KEY_A}
    insert_events(pg_db, [received(f"U{i}", vn("2026-03-02 09:00"), vn("2026-03-05 09:00")) for i in range(3)])
    run_dbt(pg_db, "build", "--resource-type", "seed", "--resource-type", "model", target_path=dbt_target,
            as_of=AS_OF, env_overrides=key)
    cfg = PublishConfig(build_schema=BUILD_SCHEMA)
    from datetime import datetime
    instant = datetime.fromisoformat(AS_OF)
    request = PublishRequest(run_id="old-shape", local_date=instant.date() - timedelta(days=1),
                             interval_start=instant - timedelta(days=1), interval_end=instant)
    publish(request, dbname=pg_db, config=cfg, require_gate=False)
    with db.connect("transform", pg_db) as conn:   # the shape before this change
        for table in (f"{BUILD_SCHEMA}.fct_cases", "marts.fct_cases"):
            conn.execute(f"alter table {table} add column applicant_id_hash text")

    insert_events(pg_db, [received("U3", vn("2026-03-09 09:00"), vn("2026-03-12 09:00"))])
    run_dbt(pg_db, "build", "--resource-type", "seed", "--resource-type", "model", target_path=dbt_target,
            as_of=AS_OF, env_overrides=key)
    publish(request, dbname=pg_db, config=cfg, require_gate=False)

    columns = "select count(*) from information_schema.columns where table_name = 'fct_cases' and table_schema = '{}' and column_name = 'applicant_id_hash'"
    assert scalar(pg_db, columns.format(BUILD_SCHEMA), role="transform") == 0
    assert scalar(pg_db, columns.format("marts"), role="transform") == 0
    assert scalar(pg_db, "select count(*) from marts.fct_cases", role="bi") == 4   # U0..U3
    with pytest.raises(Exception, match="permission denied"):
        scalar(pg_db, "select count(*) from lineage.case_applicants", role="bi")
