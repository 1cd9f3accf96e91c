"""Running Airflow against a private home (SQLite metadata) for the DAG tests."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from motcua.lineage import LineageSettings


ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = Path(sys.executable).with_name("airflow")


def airflow_env(home: Path, **extra: str) -> dict[str, str]:
    """Airflow's settings as scripts/airflow.sh makes them. OpenLineage is off unless a test turns
    it on (MOTCUA_LINEAGE=on, MOTCUA_LINEAGE_FILE=...): mapped as the script maps it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        PYTHONPATH=os.pathsep.join([str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]),
        DO_NOT_TRACK="1",
        GX_ANALYTICS_ENABLED="false",
        MOTCUA_NIGHTLY_START_DATE="2026-01-01",
    )
    env.pop("MOTCUA_ALERT_WEBHOOK", None)
    lineage = {k: extra.pop(k) for k in list(extra) if k.startswith("MOTCUA_LINEAGE")}
    env.update(extra)
    return with_lineage(env, **(lineage or {"MOTCUA_LINEAGE": "off"}))


def with_lineage(env: dict[str, str], **lineage: str) -> dict[str, str]:
    """`env` with only the given MOTCUA_LINEAGE* settings, mapped as scripts/airflow.sh maps them."""
    env = {k: v for k, v in env.items()
           if not k.startswith(("AIRFLOW__OPENLINEAGE__", "OPENLINEAGE", "MOTCUA_LINEAGE"))}
    env.update(lineage)
    settings = LineageSettings.from_env(env)
    settings.prepare()
    return {**env, **settings.airflow_env(), **settings.client_env()}


def migrate_metadata(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(AIRFLOW), "db", "migrate"], env=airflow_env(home), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def logical_date_of(night: date) -> str:
    """The logical date that makes `airflow dags test` run the night of `night` (see scripts/airflow.sh)."""
    return f"{(night + timedelta(days=1)).isoformat()}T02:00:00+07:00"


def dags_test(env: dict[str, str], night: date, *extra: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([str(AIRFLOW), "dags", "test", "kpi_nightly", logical_date_of(night), *extra],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
