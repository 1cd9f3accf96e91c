"""Alerts: the ALERT line, the webhook POST, and a webhook that is down never failing anything."""
from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from nightly.alerts import check_deadline, on_task_failure, send_alert


@pytest.fixture()
def webhook():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"content_type": self.headers["Content-Type"], "body": json.loads(body)})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            return None  # keep the test output quiet

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/motcua", received
    server.shutdown()
    server.server_close()


def test_a_missed_deadline_logs_an_alert_and_posts_to_the_webhook(webhook, monkeypatch, capsys):
    url, received = webhook
    monkeypatch.setenv("MOTCUA_ALERT_WEBHOOK", url)
    started = datetime(2026, 3, 3, 19, 0, tzinfo=timezone.utc)

    check = check_deadline("scheduled__2026-03-03T19:00:00+00:00", started, started + timedelta(minutes=95),
                           timedelta(minutes=90))

    assert check.missed and check.as_json()["elapsed_s"] == 5700.0
    out = capsys.readouterr().out
    assert "ALERT deadline_missed: kpi_nightly run scheduled__2026-03-03T19:00:00+00:00 took 95.0 min, " \
           "over its deadline of 90 min" in out
    assert len(received) == 1
    body = received[0]["body"]
    assert received[0]["content_type"] == "application/json"
    assert body["kind"] == "deadline_missed" and body["text"].startswith("ALERT deadline_missed:")
    assert body["details"]["deadline_s"] == 5400.0 and body["details"]["missed"] is True


def test_a_run_within_its_deadline_raises_no_alert(webhook, monkeypatch, capsys):
    url, received = webhook
    monkeypatch.setenv("MOTCUA_ALERT_WEBHOOK", url)
    started = datetime(2026, 3, 3, 19, 0, tzinfo=timezone.utc)
    assert not check_deadline("r", started, started + timedelta(minutes=89), timedelta(minutes=90)).missed
    assert "ALERT" not in capsys.readouterr().out and received == []


def test_a_webhook_that_is_down_or_silent_does_not_raise(monkeypatch, capsys):
    # A port nobody listens on (refused), then a server that accepts and never answers (timeout).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    monkeypatch.setenv("MOTCUA_ALERT_WEBHOOK", f"http://127.0.0.1:{closed_port}/x")
    assert send_alert("run_failed", "gate blocked") is False

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        monkeypatch.setenv("MOTCUA_ALERT_WEBHOOK", f"http://127.0.0.1:{silent.getsockname()[1]}/x")
        monkeypatch.setenv("MOTCUA_ALERT_TIMEOUT_SECONDS", "0.5")
        assert send_alert("run_failed", "gate blocked") is False
    finally:
        silent.close()
    assert capsys.readouterr().out.count("ALERT run_failed: gate blocked") == 2


def test_without_a_webhook_the_alert_is_a_log_line(monkeypatch, capsys):
    monkeypatch.delenv("MOTCUA_ALERT_WEBHOOK", raising=False)
    assert send_alert("run_failed", "x") is False
    assert "ALERT run_failed: x" in capsys.readouterr().out


@pytest.mark.parametrize("bad", [
    "file:///etc/passwd", "data:text/plain,hello", "ftp://127.0.0.1/x", "gopher://127.0.0.1/", "127.0.0.1:9/x",
    "http://", "http://[::1", "http://127.0.0.1:99999/x", "https://exa mple.org/x y", "javascript:alert(1)",
])
def test_a_webhook_that_is_not_http_is_refused_with_a_warning_and_never_raises(bad, monkeypatch, capsys, caplog):
    monkeypatch.setenv("MOTCUA_ALERT_WEBHOOK", bad)
    with caplog.at_level("WARNING", logger="motcua.alerts"):
        assert send_alert("run_failed", "gate blocked") is False
    assert "ALERT run_failed: gate blocked" in capsys.readouterr().out
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings and all("/etc/passwd" not in w for w in warnings), warnings


def test_a_webhook_answering_an_error_status_is_a_warning(monkeypatch, caplog):
    from http.server import BaseHTTPRequestHandler

    class Refusing(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args):
            return None

    server = HTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("MOTCUA_ALERT_WEBHOOK", f"http://127.0.0.1:{server.server_port}/x")
        with caplog.at_level("WARNING", logger="motcua.alerts"):
            assert send_alert("run_failed", "x") is False
        assert any("answered 500" in r.getMessage() for r in caplog.records)
    finally:
        server.shutdown()
        server.server_close()


def test_a_failed_task_alert_names_the_night_the_task_and_the_first_failed_expectations(webhook, monkeypatch):
    from types import SimpleNamespace

    from publish.errors import DataGateBlocked

    url, received = webhook
    monkeypatch.setenv("MOTCUA_ALERT_WEBHOOK", url)
    blocked = DataGateBlocked(
        "quality gate blocked the night 2026-02-04:\n"
        "quality gate BLOCKED: layer=raw date=2026-02-04 (12 expectations, 2 critical failed, 1 warnings, 0.4 s) run_id=u\n"
        "CRITICAL (blocks publication):\n"
        "  - [raw] raw_occurred_at_not_in_future: no event after now\n"
        "      20 of 20 rows unexpected\n"
        "      see file:///x.html\n"
        "  - [raw] raw_agency_feed_not_stopped: every agency sent events\n"
        "WARNING (recorded, not blocking):\n"
        "  - [raw] raw_late_share: few late events\n"
        "History: select 1;")
    context = {"ti": SimpleNamespace(task_id="gate_raw_staging"), "dag_run": SimpleNamespace(run_id="manual__x"),
               "exception": blocked}
    on_task_failure(context, night="2026-02-04")
    text = received[0]["body"]["text"]
    assert text.startswith("ALERT run_failed: kpi_nightly night 2026-02-04 failed at task gate_raw_staging (run manual__x): ")
    assert "quality gate BLOCKED: layer=raw date=2026-02-04" in text
    assert "- [raw] raw_occurred_at_not_in_future: no event after now" in text
    assert "- [raw] raw_agency_feed_not_stopped" in text
    assert "raw_late_share" not in text and "History" not in text
