"""All the project's migrations are in the top-level migrations/ folder, and moving them there
changed nothing for a database migrated from their old folder (ingestion/sql/): the ledger keys
on the file name and the checksum of the content, and both are what they were."""
from __future__ import annotations

import hashlib

from motcua import db
from motcua.migrations import LEDGER, MIGRATIONS_DIR
from tests.conftest import ROOT

# sha256 of each file as it was in ingestion/sql/ before the move (sha256sum of the old files):
# what an already-migrated database has in public.schema_migrations.
RECORDED_BEFORE_THE_MOVE = {
    "001_raw.sql": "f8d6b4ee363b9d9732095ca95207fced756cb2f287b2b355f92949c66f299439",
    "002_grants.sql": "4f0ceadc43b063e3176da0d6d9f927c88a2fda88300bd9d4d8882582821b652c",
    "003_extensions.sql": "fafeeb65d8060c6cee1c07ab0c59246dc570d05b05111543d1f44dd830320bf9",
    "004_quality.sql": "0d7a71ea06e7a5ac66ce8e7391a826a08547fb162a0ea4f4aba7c9cbe924450e",
    "005_publish.sql": "d885756895ab9505cbc55dd8abc1ff95890e4249cddf22edc266da6eb4de7216",
    "006_history_key_index.sql": "887696fb12fb690f6adf8b135ef46de0fc12ce2a19c4d9d30338b4a674e8f513",
    "020_lineage_and_build_runs.sql": "65a33b0185cad0d1b45eecbf6d566e115786ea7dc9ba3e92063396cc46f94242",
    "021_gate_role.sql": "ea0c083da511a8f261b7a3b7750dad6ad092985e6314c258df957f458b20fd91",
    "022_history_chain.sql": "59517948b6d9698c85702caf670e4ec573165a45f8f0a3cf6ae4e39a5b9eda8a",
    "030_pii_key_fingerprint.sql": "8f0803261ab5decf63eb3e202d2776cb1b4b7dcb53adc065c88a77f2fd3c79db",
    "050_nightly_baton.sql": "12f2b73b182ea530d3f5cb68e0713c081730ccfcfa2eb171ab5ba3d8b180cb07",
    "060_staff_events.sql": "a2f8d9a9da7563606046a1650e56ea518bcc2a1b6a7628447c633e7e9cd0fa4e",
}


def test_the_runner_reads_the_top_level_migrations_folder_only():
    assert MIGRATIONS_DIR == ROOT / "migrations"
    assert not (ROOT / "ingestion" / "sql").exists()
    assert [p for p in ROOT.glob("*/sql/*.sql")] == []   # no second folder of migrations


def test_the_moved_files_have_the_names_and_checksums_a_migrated_database_recorded():
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in MIGRATIONS_DIR.glob("*.sql")}
    assert {name: on_disk.get(name) for name in RECORDED_BEFORE_THE_MOVE} == RECORDED_BEFORE_THE_MOVE


def test_a_database_migrated_from_the_old_folder_has_nothing_pending(pg_db):
    # Make the ledger exactly what the old folder left (names and checksums as recorded then):
    # migrate must find nothing to apply and no edited file.
    with db.connect("owner", pg_db, autocommit=True) as conn:
        for name, checksum in RECORDED_BEFORE_THE_MOVE.items():
            conn.execute(f"update {LEDGER} set checksum = %s where name = %s", (checksum, name))
    assert db.migrate(pg_db) == []
