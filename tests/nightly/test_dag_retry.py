"""The DAG's retry decision goes by the failure's type: a real unreachable database is left to
Airflow's retries, a bad setting and a blocked gate fail the task at once."""
from __future__ import annotations

import importlib.util
import socket

import pytest

from tests.dags.airflow_env import ROOT


@pytest.fixture(scope="module")
def dag_module(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("AIRFLOW_HOME", str(tmp_path_factory.mktemp("airflow")))
    spec = importlib.util.spec_from_file_location("kpi_nightly_retry_under_test", ROOT / "dags" / "kpi_nightly.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    mp.undo()


def test_an_outage_is_retried_and_a_setting_or_a_verdict_is_not(dag_module, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from motcua import db
    from nightly.nightlock import NightBusy
    from publish.errors import DataGateBlocked

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("PGPORT", str(closed))
    with pytest.raises(db.DatabaseUnreachable):                  # propagates: Airflow retries it
        dag_module._no_retry(db.connect, "transform")
    with pytest.raises(AirflowFailException, match="unknown role 'nobody'"):
        dag_module._no_retry(db.connect, "nobody")
    with pytest.raises(NightBusy):                               # the baton loop looks again
        dag_module._no_retry(lambda: (_ for _ in ()).throw(NightBusy("night 2026-03-02 waits")))
    with pytest.raises(AirflowFailException, match="quality gate BLOCKED"):
        dag_module._no_retry(lambda: (_ for _ in ()).throw(DataGateBlocked("quality gate BLOCKED: layer=raw")))
