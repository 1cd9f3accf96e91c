"""Where OpenLineage events go (motcua/lineage.py): the MOTCUA_LINEAGE* settings as Airflow's
provider and the OpenLineage client (dbt-ol) read them, and the datasets the Python steps name.

The readers themselves run here, each in its own process as in the nightly run: the Airflow
provider's client and the plain client emit one event each to a local HTTP receiver or a file.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from motcua.lineage import LineageConfigError, LineageSettings
from nightly.lineage import capture_datasets, dbt_lineage, publish_datasets

ROOT = Path(__file__).resolve().parents[2]

# One START event, emitted by the provider's client (as the scheduler and the tasks do) or by the
# plain client (as dbt-ol does).
EMIT = """
import sys, uuid
from datetime import datetime, timezone
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
event = RunEvent(eventType=RunState.START, eventTime=datetime.now(timezone.utc).isoformat(),
                 run=Run(runId=str(uuid.uuid4())), job=Job(namespace="motcua", name="probe"), producer="tests")
if sys.argv[1] == "airflow":
    from airflow.providers.openlineage.plugins.adapter import OpenLineageAdapter
    from airflow.providers.openlineage import conf
    client = None if conf.is_disabled() else OpenLineageAdapter().get_or_create_openlineage_client()
else:
    from openlineage.client import OpenLineageClient
    client = OpenLineageClient()
if client is not None:
    for _ in range(int(sys.argv[2])):
        client.emit(event)
    client.close(timeout=10)
print(type(client.transport).__name__ if client else "disabled")
"""


def emit_with(reader: str, settings: LineageSettings, home: Path, count: int = 1) -> str:
    """Emit `count` events through `reader` in a process whose environment is what the project
    exports; return the transport's class name."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "OPENLINEAGE", "MOTCUA_LINEAGE"))}
    env.update(settings.airflow_env() if reader == "airflow" else settings.client_env())
    env.update(AIRFLOW_HOME=str(home / "airflow"))
    proc = subprocess.run([sys.executable, "-c", EMIT, reader, str(count)], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


@pytest.fixture()
def receiver():
    """A local OpenLineage endpoint: records each POST's path, bearer token and event."""
    received: list[tuple[str, str | None, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers.get("Authorization"), json.loads(body)))
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            return None

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def test_by_default_events_are_appended_to_a_file_under_the_state_folder(tmp_path):
    settings = LineageSettings.from_env({"MOTCUA_STATE_DIR": str(tmp_path)})
    assert settings.enabled and settings.namespace == "motcua"
    assert settings.transport == {"type": "file", "log_file_path": str(tmp_path / "openlineage" / "events.jsonl"),
                                  "append": True}
    assert json.loads(settings.airflow_env()["AIRFLOW__OPENLINEAGE__TRANSPORT"]) == settings.transport
    assert json.loads(settings.client_env()["OPENLINEAGE__TRANSPORT"]) == settings.transport


@pytest.mark.parametrize("reader", ["airflow", "client"])
def test_both_readers_append_to_the_file(tmp_path, reader):
    settings = LineageSettings.from_env({"MOTCUA_LINEAGE_FILE": str(tmp_path / "ol" / "events.jsonl")})
    settings.prepare()
    assert emit_with(reader, settings, tmp_path, count=2) == "FileTransport"
    lines = (tmp_path / "ol" / "events.jsonl").read_text().splitlines()
    assert [json.loads(line)["job"]["name"] for line in lines] == ["probe", "probe"]


@pytest.mark.parametrize("reader", ["airflow", "client"])
def test_a_url_sends_events_to_that_http_endpoint_with_its_key(receiver, tmp_path, reader):
    url, received = receiver
    settings = LineageSettings.from_env({"MOTCUA_LINEAGE_URL": url + "/", "MOTCUA_LINEAGE_API_KEY": "k-123",
                                         "MOTCUA_STATE_DIR": str(tmp_path)})
    assert emit_with(reader, settings, tmp_path) == "HttpTransport"
    assert [(path, auth, event["job"]["name"]) for path, auth, event in received] == [
        ("/api/v1/lineage", "Bearer k-123", "probe")]
    assert not (tmp_path / "openlineage").exists()


@pytest.mark.parametrize("reader", ["airflow", "client"])
def test_off_emits_nothing_even_with_a_url_set(receiver, tmp_path, reader):
    url, received = receiver
    settings = LineageSettings.from_env({"MOTCUA_LINEAGE": "off", "MOTCUA_LINEAGE_URL": url})
    assert settings.airflow_env() == {"AIRFLOW__OPENLINEAGE__DISABLED": "True"}
    assert emit_with(reader, settings, tmp_path) in ("disabled", "NoopTransport")
    assert received == []


@pytest.mark.parametrize("env, message", [
    ({"MOTCUA_LINEAGE": "maybe"}, "MOTCUA_LINEAGE='maybe': use on or off"),
    ({"MOTCUA_LINEAGE_URL": "marquez:5000"}, "is not an http(s) URL"),
])
def test_a_bad_setting_is_one_line_and_exit_2(env, message):
    with pytest.raises(LineageConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        LineageSettings.from_env(env)
    proc = subprocess.run([sys.executable, "-m", "motcua", "lineage", "show"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and message in proc.stderr


def test_env_prints_shell_exports_that_a_shell_can_evaluate(tmp_path):
    events = tmp_path / "a b" / "events.jsonl"        # a space: the values must be quoted
    env = {**os.environ, "MOTCUA_LINEAGE_FILE": str(events), "MOTCUA_LINEAGE_NAMESPACE": "motcua-prod"}
    proc = subprocess.run(["bash", "-c", 'eval "$("$0" -m motcua lineage env)" && echo "$AIRFLOW__OPENLINEAGE__TRANSPORT"'
                           ' && echo "$OPENLINEAGE_NAMESPACE"', sys.executable],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    transport, namespace = proc.stdout.splitlines()
    assert json.loads(transport) == {"type": "file", "log_file_path": str(events), "append": True}
    assert namespace == "motcua-prod"
    assert events.parent.is_dir()       # the file transport does not create its folder


def test_capture_names_both_topics_and_their_raw_tables(monkeypatch):
    monkeypatch.setenv("PGHOST", "db.local")
    monkeypatch.setenv("PGPORT", "5433")
    monkeypatch.setenv("PGDATABASE", "motcua_prod")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "k1:9092,k2:9092")
    monkeypatch.setenv("KAFKA_TOPIC", "cases")
    monkeypatch.delenv("KAFKA_STAFF_TOPIC", raising=False)
    inputs, outputs = capture_datasets()
    assert {(d.namespace, d.name) for d in inputs} == {("kafka://k1:9092", "cases"),
                                                        ("kafka://k1:9092", "motcua.staff-events")}
    assert {(d.namespace, d.name) for d in outputs} == {("postgres://db.local:5433", "motcua_prod.raw.case_events"),
                                                         ("postgres://db.local:5433", "motcua_prod.raw.staff_events")}


def test_publish_names_each_table_where_it_is_published_and_the_history(monkeypatch):
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", "25432")
    monkeypatch.setenv("PGDATABASE", "motcua")
    inputs, outputs = publish_datasets("marts_build", ["kpi_officer_daily", "kpi_case_membership"], swapped=True)
    assert [d.name for d in inputs] == ["motcua.marts_build.kpi_case_membership", "motcua.marts_build.kpi_officer_daily"]
    assert [d.name for d in outputs] == ["motcua.lineage.kpi_case_membership", "motcua.marts.kpi_officer_daily",
                                         "motcua.audit.publications"]
    # a night recorded in history only (a newer night is published) writes no published table
    assert [d.name for d in publish_datasets("marts_build", ["kpi_officer_daily"], swapped=False)[1]] == [
        "motcua.audit.publications"]


def test_dbt_runs_through_dbt_ol_only_when_lineage_is_on(monkeypatch, tmp_path):
    monkeypatch.setenv("MOTCUA_LINEAGE_FILE", str(tmp_path / "events.jsonl"))
    wrapper, env = dbt_lineage("motcua/kpi_nightly.dbt_build/r1", "motcua/kpi_nightly/r0")
    assert [Path(w).name for w in wrapper] == ["dbt-ol"] and Path(wrapper[0]).exists()
    assert env["OPENLINEAGE_PARENT_ID"] == "motcua/kpi_nightly.dbt_build/r1"
    assert env["OPENLINEAGE_ROOT_PARENT_ID"] == "motcua/kpi_nightly/r0"
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)   # dbt-ol starts this dbt
    monkeypatch.setenv("MOTCUA_LINEAGE", "off")
    assert dbt_lineage("motcua/kpi_nightly.dbt_build/r1") == ([], {"OPENLINEAGE_DISABLED": "true"})


def test_an_events_folder_that_cannot_be_made_never_stops_dbt(monkeypatch, tmp_path):
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("MOTCUA_LINEAGE_FILE", str(tmp_path / "a-file" / "events.jsonl"))
    assert dbt_lineage("motcua/kpi_nightly.dbt_build/r1") == ([], {"OPENLINEAGE_DISABLED": "true"})
    proc = subprocess.run([sys.executable, "-m", "motcua", "lineage", "env"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env=dict(os.environ))
    assert proc.returncode == 2 and proc.stdout == "" and "set MOTCUA_LINEAGE_FILE, or MOTCUA_LINEAGE=off" in proc.stderr
