"""The steps of the nightly run, free of Airflow so that they can be run and tested alone.

Each raises TransientFailure (retry), PermanentFailure or DataGateBlocked (no retry); the DAG
(dags/kpi_nightly.py) maps them to Airflow's retry semantics. Output goes to stdout/logging,
which Airflow puts in the task log.
"""
from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

from motcua.settings import DBT_SECRETS, PROJECT_ROOT, load_local_secrets, state_dir
from publish.errors import DataGateBlocked, PermanentFailure, TransientFailure
from publish.provenance import DbtRun, read_run_results

log = logging.getLogger(__name__)

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
# dbt and psycopg messages that mean "the database was not there", not "the SQL is wrong"
_OUTAGE = re.compile(
    r"could not connect|connection refused|server closed the connection|terminating connection|"
    r"connection (?:timed out|reset|already closed)|the database system is (?:starting up|shutting down|in recovery)|"
    r"could not translate host name|no route to host|lock timeout|deadlock detected|too many clients",
    re.IGNORECASE,
)


def dbt_target_path() -> Path:
    """One folder per deployment: partial parsing and run_results.json live there."""
    return Path(os.environ.get("MOTCUA_DBT_TARGET_PATH") or state_dir() / "dbt" / "target")


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


def _run(cmd: list[str], *, cwd: Path, timeout: float, extra_env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command; echo its summary, warning and error lines into the task log; return (rc, output)."""
    log.info("running: %s%s", " ".join(cmd), "".join(f" ({k}={v})" for k, v in (extra_env or {}).items()))
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


# ----------------------------------------------------------------------------------------- ingest
def ingest(max_seconds: float) -> dict:
    """Bounded catch-up: load until PostgreSQL's positions reach the end offsets seen at start."""
    rc, out = _run([sys.executable, "-m", "ingestion.cli", "consume", "--bounded", "--max-seconds", str(max_seconds)],
                   cwd=PROJECT_ROOT, timeout=max_seconds + 120)
    if rc != 0:
        # A timeout (2), the broker or database unreachable: all outages, all worth a retry.
        raise TransientFailure(f"bounded ingest exited {rc}: {out.strip().splitlines()[-1] if out.strip() else ''}")
    summary = next((ln for ln in reversed(out.splitlines()) if " messages in " in ln), "")
    return {"summary": summary.strip()}


# ------------------------------------------------------------------------------------------ gates
def gate(layers: tuple[str, ...], day: date) -> dict:
    """Run the GX gate per layer for the local date; all layers run, then any block fails the step."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from expectations.config import GateConfigError
    from expectations.gate import GateError, run_gate
    from expectations.interval import IntervalError
    from motcua.db import DatabaseConfigError

    quiet_loggers()
    verdicts, blocked = {}, []
    for layer in layers:
        try:
            with _gx_store_lock():
                result = run_gate(layer, day)
        except DatabaseConfigError as exc:
            raise TransientFailure(f"gate {layer}: {exc}") from exc
        except (GateConfigError, GateError, IntervalError) as exc:
            raise PermanentFailure(f"gate {layer} could not run: {exc}") from exc
        except Exception as exc:   # GX wraps driver errors; an outage is worth a retry, a bug is not
            if _OUTAGE.search(str(exc)) or _gx_clash(exc):
                raise TransientFailure(f"gate {layer}: {exc}") from exc
            raise PermanentFailure(f"gate {layer} could not run: {type(exc).__name__}: {exc}") from exc
        print(result.summary(), flush=True)
        verdicts[layer] = {"run_id": result.run_id, "passed": result.passed, "evaluated": len(result.outcomes),
                           "critical_failures": len(result.critical_failures), "warnings": len(result.warnings),
                           "data_docs": result.data_docs_index}
        if not result.passed:
            blocked.append(result.summary())
    if blocked:
        raise DataGateBlocked("quality gate blocked the night " + day.isoformat() + ":\n" + "\n".join(blocked))
    return verdicts


def _gx_clash(exc: BaseException) -> bool:
    """GX's "resource not fresh" errors: another process rewrote a suite or a validation definition
    in the shared GX store between our read and our write. Retrying reads the new state."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if "Freshness" in type(exc).__name__ or "not fresh" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class _gx_store_lock:
    """One gate at a time per GX store (a PostgreSQL advisory lock keyed on the store's folder):
    the gate rewrites the suites it validates, so two gates at once clash on the store's files.
    The lock goes with the session, so a killed gate never leaves it behind."""

    def __enter__(self) -> "_gx_store_lock":
        from expectations.config import GateConfig
        from motcua import db

        self._conn = db.connect("transform", autocommit=True)
        key = str(GateConfig.from_env().gx_state_dir.resolve())
        self._conn.execute("select pg_advisory_lock(hashtextextended(%s, 0))", ("motcua.gx:" + key,))
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()


def ensure_staging(as_of: str, target: Path | None = None) -> bool:
    """Create dbt's staging views if they do not exist yet (the very first night of a database).

    The staging gate runs before tonight's dbt build; staging is views over raw, so once they
    exist they show tonight's events without a build. Returns True when it had to create them.
    """
    from motcua import db

    try:
        with db.connect("transform") as conn:
            present = conn.execute("select to_regclass('staging.stg_motcua__case_events') is not null"
                                   " or to_regclass('staging.stg_case_events') is not null").fetchone()[0]
    except db.DatabaseConfigError as exc:
        raise TransientFailure(str(exc)) from exc
    if present:
        return False
    log.info("staging views missing (first run on this database): building them with dbt first")
    target = target or dbt_target_path()
    target.mkdir(parents=True, exist_ok=True)
    rc, out = _run(_dbt("run", "--select", "path:models/staging", target=target), extra_env=_as_of(as_of), cwd=DBT_PROJECT,
                   timeout=1800)
    if rc != 0:
        parsed = read_run_results(target)
        raise classify_dbt_failure(rc, out, parsed[1] if parsed else None)
    return True


# -------------------------------------------------------------------------------------------- dbt
def _dbt(*args: str, target: Path) -> list[str]:
    return [str(Path(sys.executable).with_name("dbt")), *args, "--profiles-dir", str(DBT_PROJECT),
            "--project-dir", str(DBT_PROJECT), "--target-path", str(target), "--log-path", str(target / "logs")]


def _as_of(as_of: str | None) -> dict[str, str]:
    """The build's as-of instant, through the environment: a --vars value that changes every
    night would make dbt re-parse the whole project each night (partial parsing keys on vars)."""
    return {"MOTCUA_AS_OF": as_of} if as_of else {}


def classify_dbt_failure(rc: int, output: str, results: list[dict] | None) -> Exception:
    """A failing data test blocks like a gate; an outage retries; anything else is a code problem."""
    failed_tests = [r["unique_id"] for r in results or [] if r.get("status") == "fail"]
    errors = [r for r in results or [] if r.get("status") == "error"]
    if any(_OUTAGE.search(r.get("message") or "") for r in errors) or (not results and _OUTAGE.search(output)):
        return TransientFailure(f"dbt build failed on a database outage (exit {rc})")
    if failed_tests and not errors:
        shown = ", ".join(failed_tests[:10]) + (" …" if len(failed_tests) > 10 else "")
        return DataGateBlocked(f"dbt data tests failed ({len(failed_tests)}): {shown}")
    first = (errors[0].get("unique_id"), (errors[0].get("message") or "").strip()[:500]) if errors else None
    detail = f"{first[0]}: {first[1]}" if first else output.strip()[-1500:]
    return PermanentFailure(f"dbt build failed (exit {rc}); {len(errors)} error(s), "
                            f"{len(failed_tests)} failed test(s); first: {detail}")


def dbt_build(as_of: str, target: Path | None = None, extra_args: tuple[str, ...] = ()) -> DbtRun:
    """`dbt build` of the whole project (incremental models recompute only what changed).

    Unit tests are CI's business (they mock inputs and prove nothing about tonight's data), so the
    nightly excludes them, as dbt recommends for production builds.
    """
    target = target or dbt_target_path()
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").unlink(missing_ok=True)     # never read a previous run's results
    timeout = float(os.environ.get("MOTCUA_DBT_TIMEOUT_SECONDS", "7200"))
    rc, out = _run(_dbt("build", "--exclude-resource-type", "unit_test", *extra_args, target=target), extra_env=_as_of(as_of),
                   cwd=DBT_PROJECT, timeout=timeout)
    parsed = read_run_results(target)
    if rc != 0:
        raise classify_dbt_failure(rc, out, parsed[1] if parsed else None)
    if parsed is None:
        raise PermanentFailure(f"dbt build succeeded but wrote no run_results.json in {target}")
    return parsed[0]


def publish_night(run_id: str, day: date, start: datetime, end: datetime, build: dict, verdicts: dict) -> dict:
    """Publish the night's gated build (publish.publish): one transaction, history appended.

    `build` is dbt_build's DbtRun as JSON, `verdicts` the gates' (raw, staging, marts) as returned
    by gate(). Returns what the task hands on: the publication id, whether BI's tables were swapped
    and the number of revised values.
    """
    from publish import PublishRequest, publish
    from publish.provenance import git_commit

    run = DbtRun.from_json(build)
    request = PublishRequest(
        run_id=run_id, local_date=day, interval_start=start, interval_end=end, git_commit=git_commit(),
        dbt_invocation_id=run.invocation_id, built_at=run.generated_at, gate_summary={**verdicts, "dbt": build},
    )
    result = publish(request)
    print(result.summary(), flush=True)
    return {"publication_id": result.publication_id, "swapped": result.swapped, "revisions": result.revisions}


def dbt_docs(as_of: str, target: Path | None = None) -> Path:
    """The dbt docs of the published marts (`motcua docs build`): one static page that opens from disk."""
    from motcua.docs import DocsError, build

    try:
        return build()
    except DocsError as exc:
        raise (TransientFailure if exc.outage else PermanentFailure)(str(exc)) from exc


def data_docs_index() -> Path | None:
    """GX Data Docs are rebuilt by every gate run (its checkpoint's docs action): just locate them."""
    from expectations.config import GateConfig

    index = GateConfig.from_env().data_docs_dir / "index.html"
    return index if index.exists() else None


def local_date_of(interval_start: datetime, timezone: str = "Asia/Ho_Chi_Minh") -> date:
    from zoneinfo import ZoneInfo

    return interval_start.astimezone(ZoneInfo(timezone)).date()


def night_window(start: datetime | None, end: datetime | None, run_after: datetime, conf: dict | None,
                 timezone: str = "Asia/Ho_Chi_Minh", hour: int = 2) -> tuple[datetime, datetime]:
    """The interval [D hour:00, D+1 hour:00) local that a run covers.

    Scheduled runs (and `airflow dags test`) carry it as their data interval. A run triggered
    without a logical date has none: conf {"night": "YYYY-MM-DD"} picks the night, else the last
    complete night before the trigger, as a scheduled run at that time would have covered.
    """
    from datetime import time as clock
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(timezone)
    night = (conf or {}).get("night")
    if night:
        try:
            start = datetime.combine(date.fromisoformat(str(night)), clock(hour), tzinfo=tz)
        except ValueError as exc:
            raise PermanentFailure(f'conf "night" must be a date YYYY-MM-DD, got {night!r}') from exc
        return start, start + timedelta(days=1)
    if start is not None and end is not None:
        return start, end
    local = run_after.astimezone(tz)
    end = datetime.combine(local.date(), clock(hour), tzinfo=tz)
    if end > local:
        end -= timedelta(days=1)
    return end - timedelta(days=1), end
