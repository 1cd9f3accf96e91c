"""Loud failures: an ALERT log line, and a POST to an optional webhook (MOTCUA_ALERT_WEBHOOK).

The webhook is best effort: a short timeout, and a webhook that is down never fails a run (it
would hide the real failure behind its own). The JSON body has a `text` field, which chat tools'
incoming webhooks (Slack, Mattermost, Google Chat) display as is.
"""
from __future__ import annotations

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
    try:
        parts = urllib.parse.urlsplit(url)
        return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}/…"
    except ValueError:
        return "<unparsable URL>"


def webhook_url(raw: str) -> str | None:
    """The webhook URL if it is an http(s) URL with a host; None (and a warning) otherwise.

    Only http and https: urllib would also open file://, data: or ftp:// URLs, none of which is a
    webhook, and a file:// URL would make the alert read local files.
    """
    try:
        parts = urllib.parse.urlsplit(raw)
        parts.port                       # raises ValueError on a bad port
    except ValueError as exc:
        log.warning("MOTCUA_ALERT_WEBHOOK is not a valid URL (%s); alert not sent", exc)
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        log.warning("MOTCUA_ALERT_WEBHOOK must be an http(s) URL with a host, got scheme %r; alert not sent",
                    parts.scheme)
        return None
    return raw


def send_alert(kind: str, message: str, **details: object) -> bool:
    """Log `ALERT <kind>: <message>`; POST it to the webhook if one is configured. True if delivered.

    Never raises: an alert that fails must not hide (or replace) the failure it reports.
    """
    line = f"ALERT {kind}: {message}"
    log.error(line)
    print(line, flush=True)    # also on the task's stdout, whatever the log configuration
    url = webhook_url(os.environ.get("MOTCUA_ALERT_WEBHOOK", "").strip())
    if not url:
        return False
    try:
        body = json.dumps({"text": line, "kind": kind, "message": message, "details": details},
                          default=str, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json", "User-Agent": "motcua-kpi"})
        try:
            timeout = float(os.environ.get("MOTCUA_ALERT_TIMEOUT_SECONDS", "5"))
        except ValueError:
            timeout = 5.0
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        log.warning("alert webhook %s answered %s", _redacted(url), exc.code)
        return False
    except Exception as exc:   # down, refused, timeout, TLS, a redirect elsewhere, anything: log, go on
        log.warning("alert webhook %s not reached: %s: %s", _redacted(url), type(exc).__name__, exc)
        return False
    if not 200 <= status < 300:
        log.warning("alert webhook %s answered %s", _redacted(url), status)
        return False
    return True


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


def failure_cause(exc: BaseException | None, max_lines: int = 6) -> str:
    """The first lines that say why: for a blocked gate, its verdict line and first failed expectations."""
    if exc is None:
        return "unknown cause (see the task log)"
    text = str(exc).strip() or type(exc).__name__
    lines = [ln.rstrip() for ln in text.splitlines() if ln.strip()
             and not ln.lstrip().startswith(("see ", "Data Docs:", "History:"))]
    if "quality gate BLOCKED" in text:
        # the verdict line(s) and the CRITICAL items; warnings do not explain a block
        keep, critical = [], False
        for ln in lines:
            if ln.startswith("quality gate BLOCKED"):
                keep.append(ln)
                critical = False
            elif ln.startswith("CRITICAL"):
                critical = True
            elif ln.startswith("WARNING"):
                critical = False
            elif critical and ln.lstrip().startswith("- "):
                keep.append(ln.strip())
        lines = keep or lines
    shown = lines[:max_lines]
    return "; ".join(shown) + (f" (+{len(lines) - max_lines} more lines in the task log)" if len(lines) > max_lines else "")


def on_task_failure(context: dict, night: object | None = None) -> None:
    """Task on_failure_callback, run by the failing task's worker: the night, the task and the cause."""
    try:
        ti = context.get("ti") or context.get("task_instance")
        task_id = getattr(ti, "task_id", "?")
        run_id = getattr(context.get("dag_run"), "run_id", None) or context.get("run_id", "?")
        cause = failure_cause(context.get("exception"))
        send_alert("run_failed",
                   f"kpi_nightly night {night or '?'} failed at task {task_id} (run {run_id}): {cause}; "
                   f"nothing new was published for this night",
                   night=str(night) if night else None, task_id=task_id, run_id=run_id)
    except Exception:   # a callback that raises would only add noise to the failure it reports
        log.exception("failure alert could not be built")


def on_run_failure(context: dict) -> None:
    """DAG on_failure_callback (runs in the dag processor): only for a run that failed without a
    failing task (dagrun_timeout); a task's failure has already alerted from its worker."""
    reason = str(context.get("reason") or "")
    if "task_failure" in reason:
        return
    run = context.get("dag_run")
    run_id = getattr(run, "run_id", "?")
    send_alert("run_failed", f"kpi_nightly run {run_id} failed: {reason or 'unknown reason'}; nothing new was published",
               run_id=run_id)
