"""Who can forge what was published: the tamper attempts of a role, refused by the database, and
a superuser's, caught by `motcua audit verify-history` (the history's hash chain)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from ingestion import db
from publish import GateNotPassed, PublishConfig, publish
from tests.publish.build import BUILD, NIGHT, create_build, record_build, record_gate, request, run_sql

ROOT = Path(__file__).resolve().parents[2]
CFG = PublishConfig(build_schema=BUILD)


def as_superuser(dbname: str, sql: str) -> None:
    """psql as the cluster's superuser (services/postgres.sh psql), on the test database."""
    proc = subprocess.run(["bash", str(ROOT / "services" / "postgres.sh"), "psql", "-q", "-v", "ON_ERROR_STOP=1"],
                          input=sql, env={**os.environ, "PGDATABASE": dbname}, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr


def seal(dbname: str) -> None:
    proc = subprocess.run(["bash", str(ROOT / "services" / "seal-history.sh")], env={**os.environ, "PGDATABASE": dbname},
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def verify_history(dbname: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", "audit", "verify-history", *args],
                          env={**os.environ, "PGDATABASE": dbname}, capture_output=True, text=True, timeout=120)


@pytest.fixture()
def sealed(pg_db) -> str:
    """A publication, the history handed to motcua_history, then a second publication revising O1's
    figures: publishing goes on as before once sealed."""
    create_build(pg_db)
    record_gate(pg_db)
    publish(request(), dbname=pg_db, config=CFG)
    seal(pg_db)
    run_sql(pg_db, f"update {BUILD}.kpi_officer_daily set cases_received = 3, on_time_rate = 0.75 where officer_id = 'O1'")
    publish(request(run_id="scheduled__rerun"), dbname=pg_db, config=CFG)
    return pg_db


def refused(dbname: str, role: str, sql: str) -> str:
    with db.connect(role, dbname, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege) as exc:
        conn.execute(sql)
    return str(exc.value)


def test_the_owner_can_no_longer_disable_a_trigger_or_take_update_once_sealed(sealed):
    # the database owner no longer even reaches into schema audit
    assert "permission denied for schema audit" in refused(sealed, "owner",
                                                           "alter table audit.publications disable trigger user")
    refused(sealed, "owner", "drop table audit.published_kpi_values cascade")
    assert "must be owner of schema audit" in refused(sealed, "owner", "alter schema audit owner to motcua_owner")
    assert "must be owner of schema audit" in refused(sealed, "owner", "drop schema audit cascade")
    assert "permission denied to set role" in refused(sealed, "owner", "set role motcua_history")
    refused(sealed, "owner", "grant update, delete on audit.publications to motcua_owner")
    for statement in ("update audit.publications set run_id = 'forged'", "delete from audit.publications",
                      "truncate audit.publications cascade", "update audit.publication_chain set hash = null"):
        refused(sealed, "owner", statement)
    assert run_sql(sealed, "select run_id from audit.publications order by 1", role="auditor") == [
        ("scheduled__2026-03-02",), ("scheduled__rerun",)]


def test_transform_cannot_sign_for_another_role_rewrite_a_closed_publication_or_add_objects_to_audit(sealed):
    columns = ("run_id, local_date, data_interval_start, data_interval_end, build_schema, swapped, published_by")
    forged = (f"insert into audit.publications ({columns}) values ('forged', '2026-03-03', now(), now(), "
              f"'{BUILD}', true, 'motcua_auditor')")
    assert "published_by is set by the database (motcua_transform)" in refused(sealed, "transform", forged)
    assert "publication 1 is closed" in refused(sealed, "transform", """
        insert into audit.published_kpi_values (publication_id, table_name, grain, measure, value)
        values (1, 'kpi_officer_daily', '{"officer_id": "O9"}', 'cases_received', 5)""")
    refused(sealed, "transform", "insert into audit.publication_chain values (3, 1, '', '', '')")
    # an overload that would answer auditors' published_kpi_values_at(3) (an integer literal) instead
    assert "permission denied for schema audit" in refused(sealed, "transform", """
        create function audit.published_kpi_values_at(p integer) returns table (publication_id bigint)
        language sql as 'select 1::bigint'""")
    assert run_sql(sealed, "select published_by from audit.publications", role="auditor") == [
        ("motcua_transform",), ("motcua_transform",)]


def test_transform_cannot_write_a_gate_verdict_and_a_verdict_on_nothing_or_another_build_publishes_nothing(pg_db):
    create_build(pg_db)
    forged = ("insert into quality.gate_runs (run_id, layer, local_date, data_interval_start, data_interval_end, "
              "started_at, finished_at, passed, evaluated, critical_failures, warnings, dbt_invocation_id) "
              "values (gen_random_uuid(), 'marts', '2026-03-02', now(), now(), now(), now(), true, 10, 0, 0, 'inv-1')")
    assert "permission denied for table gate_runs" in refused(pg_db, "transform", forged)
    record_gate(pg_db, evaluated=0)
    with pytest.raises(GateNotPassed, match="evaluated no expectation"):
        publish(request(), dbname=pg_db, config=CFG)
    record_gate(pg_db)                        # a real verdict on inv-1 …
    record_build(pg_db, "inv-2", full=False)  # … then another build replaced the tables it judged
    with pytest.raises(GateNotPassed, match=r"judged dbt build inv-1, not the build to publish \(inv-2\)"):
        publish(request(), dbname=pg_db, config=CFG)
    assert run_sql(pg_db, "select count(*) from audit.publications", role="auditor") == [(0,)]


def test_verify_history_passes_then_names_the_publication_a_superuser_changed(sealed):
    ok = verify_history(sealed)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("history chain ok: 2 publication(s); head 2:")
    head = ok.stdout.split("head ")[1].split()[0]

    # A superuser can do anything, including slipping the triggers: it is detected, not prevented.
    as_superuser(sealed, """
        alter table audit.published_kpi_values disable trigger user;
        update audit.published_kpi_values set value = 0.9
         where publication_id = 1 and table_name = 'kpi_officer_daily' and measure = 'on_time_rate'
           and grain->>'officer_id' = 'O1';
        alter table audit.published_kpi_values enable trigger user;""")

    broken = verify_history(sealed)
    assert broken.returncode == 1
    assert broken.stderr.splitlines()[0] == (
        "history BROKEN: publication 1 (night 2026-03-02), link 1: its row or values differ from what was chained "
        "(changed, added or removed after publication)")

    # … and one who also recomputes the chain is caught against a head kept outside the database
    as_superuser(sealed, """
        alter table audit.publication_chain disable trigger user;
        update audit.publication_chain set content_digest = audit.publication_digest(publication_id);
        update audit.publication_chain c set prev_hash = decode(repeat('00', 32), 'hex'), hash = sha256(
            decode(repeat('00', 32), 'hex') || c.content_digest) where seq = 1;
        update audit.publication_chain c set prev_hash = p.hash, hash = sha256(p.hash || c.content_digest)
          from audit.publication_chain p where p.seq = 1 and c.seq = 2;
        alter table audit.publication_chain enable trigger user;""")
    assert verify_history(sealed).returncode == 0
    recomputed = verify_history(sealed, "--expect-head", head)
    assert recomputed.returncode == 1
    assert recomputed.stderr.startswith(f"history BROKEN: link 2: hash ")
    assert "differs from the head recorded outside the database" in recomputed.stderr


def test_an_unsealed_history_is_reported_and_bad_arguments_are_usage_errors(pg_db):
    unsealed = verify_history(pg_db)
    assert unsealed.returncode == 1
    assert "history chain ok: 0 publication(s)" in unsealed.stderr
    assert "history NOT SEALED (a role can still rewrite it): schema audit is owned by motcua_owner" in unsealed.stderr
    bad = verify_history(pg_db, "--expect-head", "2:nothex")
    assert bad.returncode == 2
    assert bad.stderr == ("motcua audit verify-history: argument --expect-head: expected SEQ:HEX (a link number and a "
                          "64-hex-digit sha256), got '2:nothex' (see 'motcua audit verify-history --help')\n")
