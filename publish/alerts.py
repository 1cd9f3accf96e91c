"""Loud failures: an ALERT log line, and a POST to an optional webhook (MOTCUA_ALERT_WEBHOOK).

The webhook is best effort: a short timeout, and a webhook that is down never fails a run (it
would hide the real failure behind its own). The JSON body has a `text` field, which chat tools'
incoming webhooks (Slack, Mattermost, Google Chat) display as is.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

log = logging.getLogger("motcua.alerts")

DEFAULT_DEADLINE_MINUTES = 240     # a 02:00 run must be done well before offices open (07:30)


def deadline() -> timedelta:
    raw = os.environ.get("MOTCUA_NIGHTLY_DEADLINE_MINUTES", "").strip()
    try:
        minutes = float(raw) if raw else DEFAULT_DEADLINE_MINUTES
    except ValueError:
        log.warning("MOTCUA_NIGHTLY_DEADLINE_MINUTES=%r is not a number; using %s", raw, DEFAULT_DEADLINE_MINUTES)
        minutes = DEFAULT_DEADLINE_MINUTES
    return timedelta(minutes=minutes)


def _redacted(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"


def send_alert(kind: str, message: str, **details: object) -> bool:
    """Log `ALERT <kind>: <message>`; POST it to the webhook if one is configured. True if delivered."""
    line = f"ALERT {kind}: {message}"
    log.error(line)
    print(line, flush=True)    # also on the task's stdout, whatever the log configuration
    url = os.environ.get("MOTCUA_ALERT_WEBHOOK", "").strip()
    if not url:
        return False
    body = json.dumps({"text": line, "kind": kind, "message": message, "details": details},
                      default=str, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "motcua-kpi"})
    timeout = float(os.environ.get("MOTCUA_ALERT_TIMEOUT_SECONDS", "5"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            delivered = 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError) as exc:   # down, refused, timeout, bad URL
        log.warning("alert webhook %s not reached: %s", _redacted(url), exc)
        return False
    if not delivered:
        log.warning("alert webhook %s answered %s", _redacted(url), response.status)
    return delivered


@dataclass(frozen=True)
class DeadlineCheck:
    run_id: str
    started_at: datetime
    checked_at: datetime
    deadline: timedelta

    @property
    def elapsed(self) -> timedelta:
        return self.checked_at - self.started_at

    @property
    def missed(self) -> bool:
        return self.elapsed > self.deadline

    def as_json(self) -> dict:
        return {"run_id": self.run_id, "started_at": self.started_at.isoformat(),
                "elapsed_s": round(self.elapsed.total_seconds(), 1),
                "deadline_s": self.deadline.total_seconds(), "missed": self.missed}


def check_deadline(run_id: str, started_at: datetime, checked_at: datetime, limit: timedelta | None = None) -> DeadlineCheck:
    """Compare a run's duration with its deadline; alert when it was missed."""
    check = DeadlineCheck(run_id, started_at, checked_at, limit if limit is not None else deadline())
    if check.missed:
        send_alert("deadline_missed",
                   f"kpi_nightly run {run_id} took {check.elapsed.total_seconds() / 60:.1f} min, "
                   f"over its deadline of {check.deadline.total_seconds() / 60:g} min",
                   **check.as_json())
    else:
        log.info("run %s within its deadline: %.0f s of %.0f s", run_id, check.elapsed.total_seconds(),
                 check.deadline.total_seconds())
    return check


def on_run_failure(context: dict) -> None:
    """DAG on_failure_callback: the run failed (a gate blocked, or retries ran out)."""
    run = context.get("dag_run")
    run_id = getattr(run, "run_id", "?")
    reason = context.get("reason") or "a task failed"
    send_alert("run_failed", f"kpi_nightly run {run_id} failed: {reason}; nothing new was published",
               run_id=run_id)


async def on_deadline_missed(deadline_minutes: float | None = None, context: dict | None = None,
                             **kwargs: object) -> None:
    """Airflow 3 DeadlineAlert callback (runs in the triggerer while the run is still going).

    Airflow passes a small context: {"dag_run": <the REST API's DAGRunResponse as JSON>, "deadline": {...}}.
    """
    dag_run = (context or {}).get("dag_run") or {}
    run_id = dag_run.get("dag_run_id") or dag_run.get("run_id") if isinstance(dag_run, dict) else None
    minutes = deadline_minutes if deadline_minutes is not None else deadline().total_seconds() / 60
    await asyncio.to_thread(send_alert, "deadline_missed",
                            f"kpi_nightly run {run_id or '?'} is still running past its deadline of {minutes:g} min",
                            run_id=run_id, queued_at=dag_run.get("queued_at") if isinstance(dag_run, dict) else None,
                            deadline_minutes=minutes)
