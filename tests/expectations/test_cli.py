"""The command the Airflow DAG (or an engineer) runs: exit codes and the printed summary."""
from __future__ import annotations

import subprocess
import sys

from ingestion import db
from tests.expectations import data
from tests.expectations.data import GATE_DAY


def test_cli_blocks_a_stopped_feed_with_a_short_summary(pg_db, env_for, tmp_path):
    data.load_history(pg_db, stopped_agency="SKHDT", build_models=False)
    docs = tmp_path / "docs"

    proc = subprocess.run(
        [sys.executable, "-m", "expectations", "gate", "--layer", "raw", "--date", GATE_DAY.isoformat(),
         "--data-docs-dir", str(docs)],
        capture_output=True, text=True, timeout=300,
        env=env_for(GX_ANALYTICS_ENABLED="false", MOTCUA_GX_GX_STATE_DIR=str(tmp_path / "gx")),
    )

    assert proc.returncode == 3, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("quality gate BLOCKED: layer=raw date=2026-03-18")
    assert "[raw.case_events] raw_agency_feed_not_stopped" in out
    assert '"agency_code": "SKHDT", "events_on_day": 0' in out
    assert f"see file://{docs}/validations/raw/case_events/raw-2026-03-18/" in out
    assert f"Data Docs: file://{docs}/index.html" in out
    assert (docs / "index.html").exists()
    # The verdict is in SQL for the publishing step, and BI may read it (no personal data there).
    with db.connect("bi", pg_db) as conn:
        assert conn.execute("select passed, critical_failures from quality.latest_gate_runs "
                            "where layer = 'raw' and local_date = %s", (GATE_DAY,)).fetchone() == (False, 1)


def test_cli_rejects_a_bad_date(env_for):
    proc = subprocess.run([sys.executable, "-m", "expectations", "gate", "--layer", "raw", "--date", "18/03/2026"],
                          capture_output=True, text=True, timeout=120, env=env_for())
    assert proc.returncode == 2
    assert "expected a date YYYY-MM-DD" in proc.stderr
