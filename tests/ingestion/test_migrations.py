"""Versioned migrations on the real database: applied once, in order, edits refused, failures rolled back."""
from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from ingestion import db
from ingestion.migrations import LEDGER, MIGRATIONS_DIR, MigrationError


def ledger(dbname: str) -> list[str]:
    with db.connect("owner", dbname) as conn:
        return [n for (n,) in conn.execute(f"select name from {LEDGER} order by name").fetchall()]


def project_files() -> list[str]:
    return sorted(p.name for p in MIGRATIONS_DIR.glob("*.sql"))


def test_a_migrated_database_has_every_file_recorded_and_nothing_pending(pg_db):
    assert ledger(pg_db) == project_files() and project_files()[0] == "001_raw.sql"
    assert db.migrate(pg_db) == []


def test_only_a_new_file_is_applied_then_recorded(pg_db, tmp_path):
    folder = tmp_path / "sql"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "999_add_note.sql").write_text("alter table raw.quarantine add column note text;")

    assert db.migrate(pg_db, directory=folder) == ["999_add_note.sql"]   # not re-run: it is not idempotent
    assert db.migrate(pg_db, directory=folder) == []
    assert ledger(pg_db)[-1] == "999_add_note.sql"
    with db.connect("owner", pg_db) as conn:
        assert conn.execute("select note from raw.quarantine").fetchall() == []


def test_an_applied_file_that_was_edited_is_refused_with_its_name(pg_db, tmp_path):
    folder = tmp_path / "sql"
    shutil.copytree(MIGRATIONS_DIR, folder)
    edited = folder / "004_quality.sql"
    edited.write_text(edited.read_text() + "\n-- an edit after the fact\n")

    with pytest.raises(MigrationError, match=r"004_quality\.sql was edited after it was applied"):
        db.migrate(pg_db, directory=folder)


def test_a_failing_migration_is_rolled_back_and_not_recorded(pg_db, tmp_path):
    folder = tmp_path / "sql"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "998_half.sql").write_text("create table raw.half_done (x int); select 1/0;")

    with pytest.raises(MigrationError, match=r"998_half\.sql failed and was rolled back"):
        db.migrate(pg_db, directory=folder)
    assert "998_half.sql" not in ledger(pg_db)
    with db.connect("owner", pg_db) as conn:
        assert conn.execute("select to_regclass('raw.half_done')").fetchone() == (None,)


def test_reapply_repairs_what_a_copy_or_a_hand_edit_lost(pg_db):
    with db.connect("owner", pg_db, autocommit=True) as conn:
        conn.execute("revoke select on raw.case_events from motcua_auditor")
    with db.connect("auditor", pg_db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("select count(*) from raw.case_events")

    assert db.migrate(pg_db) == []                                    # recorded: nothing pending
    assert db.migrate(pg_db, reapply=True) == project_files()          # idempotent files, run again
    with db.connect("auditor", pg_db) as conn:
        assert conn.execute("select count(*) from raw.case_events").fetchone() == (0,)


def test_the_cli_reports_an_edited_migration_clearly(pg_db, tmp_path, monkeypatch, capsys):
    from ingestion import cli, migrations

    folder = tmp_path / "sql"
    shutil.copytree(MIGRATIONS_DIR, folder)
    (folder / "001_raw.sql").write_text("-- rewritten\n")
    monkeypatch.setenv("PGDATABASE", pg_db)
    monkeypatch.setattr(migrations, "MIGRATIONS_DIR", Path(folder))

    assert cli.main(["migrate"]) == 2
    assert "001_raw.sql was edited after it was applied" in capsys.readouterr().err
