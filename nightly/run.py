"""Child processes of the nightly steps (the loader, dbt): run with the job's own secrets only,
their summary, warnings and errors echoed into the task log, the rest kept for a failure's tail."""
from __future__ import annotations

import logging
import os
import re
import subprocess
import time
from pathlib import Path

from motcua.settings import DBT_SECRETS, PROJECT_ROOT, load_local_secrets
from publish.errors import TransientFailure

log = logging.getLogger(__name__)


def _env() -> dict[str, str]:
    load_local_secrets(*DBT_SECRETS)   # dbt's role password and the HMAC key, nothing else
    env = dict(os.environ)
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    paths = [str(PROJECT_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


# Lines of a child's output worth the task log: its summary, warnings and errors. The rest (dbt's
# per-model lines, kafka-python's connection chatter) stays out; on failure its tail is shown.
_WORTH_LOGGING = re.compile(
    r"\b(?:WARN(?:ING)?|ERROR|CRITICAL|FAIL(?:ED|URE)?|Traceback|Done\.|Finished running|Completed with|"
    r"messages in|quality gate)\b|^\s*\S*(?:Error|Exception)\b|^ALERT ", re.IGNORECASE)
_TAIL_ON_FAILURE = 40


def quiet_loggers() -> None:
    """Keep the task log to what an engineer reads: GX registers ~600 functions at INFO on import,
    kafka-python and SQLAlchemy log every connection. Their warnings and errors still show."""
    for name in ("great_expectations", "kafka", "urllib3", "sqlalchemy", "dbt", "asyncio", "py.warnings"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_child(cmd: list[str], *, cwd: Path, timeout: float, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command; echo its summary, warning and error lines into the task log; return (rc, output)."""
    # The project's own settings with their values; others (OpenLineage's transport may carry an
    # endpoint's API key) by name only.
    shown = "".join(f" ({k}={v})" if k.startswith("MOTCUA_") else f" ({k})" for k, v in (extra_env or {}).items())
    log.info("running: %s%s", " ".join(cmd), shown)
    lines: list[str] = []
    hidden = 0
    with subprocess.Popen(cmd, cwd=cwd, env={**_env(), **(extra_env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, bufsize=1) as proc:
        deadline = time.monotonic() + timeout
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                lines.append(line)
                if _WORTH_LOGGING.search(line):
                    print(line, end="", flush=True)
                else:
                    hidden += 1
                if time.monotonic() > deadline:
                    proc.kill()
                    raise TransientFailure(f"{cmd[0]} still running after {timeout:.0f} s; killed")
        except BaseException:
            # The task was stopped (Airflow turns SIGTERM into an exception here): pass the stop
            # on, or the child outlives the task and leaving the `with` waits for it.
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
            raise
        rc = proc.wait()
    if rc != 0 and hidden:
        print(f"… last lines of {Path(cmd[0]).name}'s output (exit {rc}):", flush=True)
        print("".join(lines[-_TAIL_ON_FAILURE:]), end="", flush=True)
    elif hidden:
        log.info("%d routine lines of %s output not shown", hidden, Path(cmd[0]).name)
    return rc, "".join(lines)
