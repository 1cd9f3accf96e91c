"""`airflow dags test due_soon_alerts` against the real PostgreSQL and a local webhook receiver.

The marts are built (dbt, as of Friday 2026-08-14 12:00 local) and published once; then the DAG
runs for the 16:00 window of that Friday, again for the same window, and for 2 September 2026
(Quốc khánh, a holiday in the calendar). Hand-computed at Fri 14 Aug 16:00 (office hours 08-12,
13-17; 8 working hours window):
  SKHDT  W1 due Mon 17 Aug 09:00: 60 + 60 = 120 min left (due);
         O2 due Fri 14 Aug 10:00: -(120 + 180) = -300 (overdue);
         B1 due Wed 26 Aug 09:00: beyond the window (not counted)
  SNV    O1 due Thu 13 Aug 15:00: -(120 + 240 + 180) = -540 (overdue)
"""
from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ingestion import db
from publish.config import PublishConfig
from publish.publisher import PublishRequest, publish
from tests.conftest import fresh_database
from tests.dags.airflow_env import AIRFLOW, ROOT, airflow_env, migrate_metadata
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.events import insert_events, received, vn

AS_OF = "2026-08-14T12:00:00+07:00"


class Receiver:
    """A webhook on 127.0.0.1 that keeps every JSON body it is sent."""

    def __init__(self) -> None:
        bodies: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:   # keep the test output quiet
                return None

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture(scope="module")
def published(services, tmp_path_factory) -> Iterator[str]:
    with fresh_database() as name:
        insert_events(name, [
            received("W1", vn("2026-08-10 09:00"), vn("2026-08-17 09:00"), officer="R1", days=5),
            received("O2", vn("2026-08-10 09:00"), vn("2026-08-14 10:00"), officer="R3", days=4),
            received("B1", vn("2026-08-13 09:00"), vn("2026-08-26 09:00"), officer="R1", days=8),
            received("O1", vn("2026-08-10 09:00"), vn("2026-08-13 15:00"), officer="R2", agency="SNV", days=3),
        ], ingested_at=datetime.fromisoformat(AS_OF) - timedelta(hours=3))
        run_dbt(name, "build", target_path=tmp_path_factory.mktemp("dbt_target"), as_of=AS_OF)
        as_of = datetime.fromisoformat(AS_OF)
        publish(PublishRequest(run_id="night-1", local_date=as_of.date() - timedelta(days=1),
                               interval_start=as_of - timedelta(days=1), interval_end=as_of),
                dbname=name, config=PublishConfig(build_schema=BUILD_SCHEMA), require_gate=False)
        yield name


@pytest.fixture(scope="module")
def env(published, receiver, tmp_path_factory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("airflow")
    migrate_metadata(home)
    return airflow_env(home, PGDATABASE=published, MOTCUA_ALERT_WEBHOOK=receiver.url)


def dags_test(env: dict[str, str], logical_date: str) -> str:
    proc = subprocess.run([str(AIRFLOW), "dags", "test", "due_soon_alerts", logical_date], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def posts(dbname: str) -> list[tuple]:
    with db.connect("auditor", dbname) as conn:
        return conn.execute("select window_start, agency_code, due_count, overdue_count, delivered "
                            "from orchestration.due_soon_posts order by agency_code").fetchall()


def test_one_digest_per_agency_once_per_window_and_none_on_a_holiday(env, published, receiver):
    dags_test(env, "2026-08-14T16:00:00+07:00")
    digests = {b["details"]["agency_code"]: b["details"] for b in receiver.bodies}
    assert len(receiver.bodies) == 2 and set(digests) == {"SKHDT", "SNV"}
    skhdt, snv = digests["SKHDT"], digests["SNV"]
    assert (skhdt["due_count"], skhdt["overdue_count"]) == (1, 1)
    assert [(c["case_id"], c["officer_id"], c["working_minutes_left"]) for c in skhdt["cases"]] == [
        ("O2", "R3", -300.0), ("W1", "R1", 120.0)]
    assert (snv["due_count"], snv["overdue_count"]) == (0, 1)
    assert [(c["case_id"], c["officer_id"], c["working_minutes_left"]) for c in snv["cases"]] == [("O1", "R2", -540.0)]
    assert all(b["kind"] == "due_soon" and b["text"].startswith("ALERT due_soon: Cảnh báo sắp trễ hạn")
               for b in receiver.bodies)
    window = vn("2026-08-14 16:00")
    assert posts(published) == [(window, "SKHDT", 1, 1, True), (window, "SNV", 0, 1, True)]

    # the same window again: nothing new is posted
    dags_test(env, "2026-08-14T16:00:00+07:00")
    assert len(receiver.bodies) == 2
    assert len(posts(published)) == 2

    # Quốc khánh: the run skips itself, no digest
    out = dags_test(env, "2026-09-02T09:00:00+07:00")
    assert "2026-09-02 is not a working day" in out
    assert len(receiver.bodies) == 2 and len(posts(published)) == 2
