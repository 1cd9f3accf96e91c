"""`motcua nightly`: nights map to Airflow's logical dates; bad arguments and an absent Airflow are one line, exit 2.

The runs themselves are proven against a real scheduler in tests/dags/test_nightly_scheduler.py.
"""
from __future__ import annotations

import socket
import subprocess
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from motcua.nightly import night_start


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "motcua", "nightly", *args], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **env})


def test_a_night_is_the_logical_date_of_its_scheduled_run():
    # The night of 2 March runs at 02:00 on 3 March; its logical date is the interval start, 2 March
    # 02:00 local = 1 March 19:00 UTC (what Airflow's backfill --from-date/--to-date compare with).
    assert night_start(date(2026, 3, 2)).astimezone(ZoneInfo("UTC")).isoformat() == "2026-03-01T19:00:00+00:00"


@pytest.mark.parametrize("args, message", [
    (("backfill", "--from-night", "2026-02-05", "--to-night", "2026-02-01"), "is after --to-night"),
    (("backfill", "--from-night", "2026-02-01", "--to-night", "2999-01-01"), "has not ended yet"),
    (("rerun", "--night", "2999-01-01"), "is in the future"),
    (("rerun", "--night", "02/03/2026"), "not a date YYYY-MM-DD"),
    (("rerun",), "required: --night"),
    (("backfill", "--from-night", "2026-02-01"), "required: --to-night"),
    (("replay",), "invalid choice"),
])
def test_bad_arguments_are_one_line_and_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2, result
    assert message in result.stderr and "Traceback" not in result.stderr


def test_an_airflow_that_is_not_running_is_one_line_and_exit_2(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "simple_auth_manager_passwords.json.generated").write_text('{"admin": "x"}')
    yesterday = (datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() - timedelta(days=1)).isoformat()
    result = run("rerun", "--night", yesterday, AIRFLOW_PORT=str(port), AIRFLOW_HOME=str(tmp_path))
    assert result.returncode == 2
    assert f"Airflow is not reachable at http://127.0.0.1:{port}" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    missing = run("rerun", "--night", yesterday, AIRFLOW_HOME=str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "cannot read Airflow's admin password" in missing.stderr
