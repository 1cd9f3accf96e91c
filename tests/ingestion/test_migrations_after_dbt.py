"""`motcua migrate --reapply` on a database dbt has built: exit 0, every watermark row kept, and the
watermark owned by the migrations' role, append-only for motcua_transform (migrations/112).

Events of case W1 are ingested at Tue 10 March 2026 20:00 (+07); the build as of 23:30 that night
records one watermark row whose ingested_upto is that instant (13:00 UTC).
"""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from ingestion import db
from tests.dbt.dbt_runner import run_dbt
from tests.dbt.events import completed, insert_events, received, vn

NIGHTLY = ("build", "--resource-type", "seed", "--resource-type", "model")
WATERMARK = "lineage.dbt_incremental_watermark"
INGESTED = datetime(2026, 3, 10, 13, 0, tzinfo=timezone.utc)
LEGACY_UPTO = datetime(2026, 3, 9, 13, 0, tzinfo=timezone.utc)


def reapply(dbname: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "motcua", "migrate", "--reapply"], capture_output=True,
                          text=True, env={**os.environ, "PGDATABASE": dbname}, timeout=120)


def rows(dbname: str) -> list[tuple]:
    with db.connect("auditor", dbname) as conn:
        return conn.execute(f"select ingested_upto, as_of, recorded_at, invocation_id from {WATERMARK}"
                            " order by recorded_at, invocation_id").fetchall()


def ownership(dbname: str) -> tuple:
    """(owner, what motcua_transform may do beyond select and insert)."""
    with db.connect("owner", dbname) as conn:
        return conn.execute(f"""
            select pg_get_userbyid(relowner),
                   array(select p from unnest(array['UPDATE', 'DELETE', 'TRUNCATE']) as p
                          where has_table_privilege('motcua_transform', '{WATERMARK}', p))
              from pg_class where oid = '{WATERMARK}'::regclass""").fetchone()


def build_night(dbname: str, target: Path) -> None:
    insert_events(dbname, [
        received("W1", vn("2026-03-02 09:00"), vn("2026-03-04 17:00"), officer="R1"),
        completed("W1", vn("2026-03-03 10:00"), officer="H1"),
    ], ingested_at=vn("2026-03-10 20:00"))
    run_dbt(dbname, *NIGHTLY, target_path=target, as_of="2026-03-10T23:30:00+07:00")


def test_reapply_after_a_dbt_build_exits_0_and_keeps_the_watermark(pg_db, tmp_path):
    build_night(pg_db, tmp_path)
    before = rows(pg_db)
    assert [(r[0], r[1]) for r in before] == [(INGESTED, vn("2026-03-10 23:30"))]

    done = reapply(pg_db)
    assert done.returncode == 0, done.stderr
    assert rows(pg_db) == before
    assert ownership(pg_db) == ("motcua_owner", [])


def test_a_watermark_dbt_created_before_112_is_taken_over_with_its_rows(pg_db, tmp_path):
    # The state an older release left: the hook created the table as motcua_transform.
    with db.connect("owner", pg_db, autocommit=True) as conn:
        conn.execute(f"drop table {WATERMARK}")
    with db.connect("transform", pg_db, autocommit=True) as conn:
        conn.execute(f"""create table {WATERMARK} (ingested_upto timestamptz, as_of timestamptz,
                             recorded_at timestamptz not null default now(), invocation_id text not null);
                         insert into {WATERMARK} values ('2026-03-09 20:00+07', '2026-03-09 23:30+07',
                                                         '2026-03-09 23:40+07', 'legacy-night');
                         grant select on {WATERMARK} to motcua_auditor""")

    build_night(pg_db, tmp_path)   # the hook lets motcua_owner read the old table
    before = rows(pg_db)
    assert [(r[0], r[3]) for r in before][0] == (LEGACY_UPTO, "legacy-night") and len(before) == 2
    assert before[1][0] == INGESTED

    done = reapply(pg_db)
    assert done.returncode == 0, done.stderr
    assert rows(pg_db) == before
    assert ownership(pg_db) == ("motcua_owner", [])
