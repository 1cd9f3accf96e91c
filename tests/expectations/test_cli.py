"""The command the Airflow DAG (or an engineer) runs: exit codes and the printed summary."""
from __future__ import annotations

import subprocess
import sys

import pytest

from expectations.__main__ import main
from ingestion import db
from tests.ingestion.cli_relay import closed_port
from tests.motcua.usage import assert_one_line_error
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


# ---------------------------------------------------------------------------------- failing cleanly
BAD = [
    ([], "the following arguments are required: {gate,list}"),
    (["gate", "--date", "2026-03-18"], "the following arguments are required: --layer"),
    (["gate", "--layer", "raw"], "the following arguments are required: --date"),
    (["gate", "--layer", "gold", "--date", "2026-03-18"], "argument --layer: invalid choice: 'gold'"),
    (["gate", "--layer", "raw", "--date", ""], "argument --date: expected a date YYYY-MM-DD, got ''"),
    (["gate", "--layer", "raw", "--date", "2026-02-30"], "argument --date: expected a date YYYY-MM-DD"),
    (["gate", "--layer", "raw", "--date", "2026-03-18", "--database", ""], "argument --database: must not be empty"),
    (["gate", "--layer", "raw", "--date", "2026-03-18", "--data-docs-dir", " "],
     "argument --data-docs-dir: must not be empty"),
    (["list", "--date", "March"], "argument --date: expected a date YYYY-MM-DD, got 'March'"),
    (["list", "--layer", ""], "argument --layer: invalid choice: ''"),
]


@pytest.mark.parametrize("argv, expected", BAD, ids=[" ".join(a) or "no-args" for a, _ in BAD])
def test_bad_argument_is_one_line_and_exit_2(argv, expected, capsys):
    assert_one_line_error(main, argv, capsys, expected)


@pytest.mark.parametrize("args", [("gate", "--layer", "raw", "--date", "2026-03-18"), ("list",)])
def test_database_down_is_one_line_and_exit_2(args, env_for, tmp_path):
    port = closed_port()
    proc = subprocess.run([sys.executable, "-m", "expectations", *args], capture_output=True, text=True, timeout=120,
                          env=env_for(PGPORT=str(port), MOTCUA_GX_GX_STATE_DIR=str(tmp_path / "gx"),
                                      MOTCUA_GX_DATA_DOCS_DIR=str(tmp_path / "docs")))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert f"PostgreSQL at 127.0.0.1:{port} is unreachable" in lines[0]
    assert "start the services with 'make up'" in lines[0]
