"""The raw layer's least-privilege roles, checked on the real database."""
import psycopg
import pytest

from ingestion import db


def test_bi_role_cannot_read_the_restricted_raw_layer(pg_db):
    with db.connect("bi", pg_db) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from raw.case_events")


def test_ingest_role_cannot_delete_raw_events(pg_db):
    with db.connect("ingest", pg_db) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("delete from raw.case_events")


def test_auditor_reads_raw(pg_db):
    with db.connect("auditor", pg_db) as conn:
        assert conn.execute("select count(*) from raw.quarantine").fetchone() == (0,)
