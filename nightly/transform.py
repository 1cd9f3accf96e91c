"""Transform: dbt builds the night's marts into the build schema (the staging views first, on a
database's very first night); a failing data test blocks like a gate."""
from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from motcua.errors import retryable
from motcua.settings import DBT_PROJECT, dbt_target_path
from nightly.run import run_child
from publish.errors import DataGateBlocked, PermanentFailure, TransientFailure
from publish.provenance import DbtRun, read_run_results

log = logging.getLogger(__name__)

# dbt runs in a child process: no exception type crosses over, only run_results.json's status and
# message text. These are the driver's messages that mean "the database was not there", not "the
# SQL is wrong" (in-process failures are classified by type: motcua.errors.retryable).
_DBT_OUTAGE = re.compile(
    r"could not connect|connection refused|server closed the connection|terminating connection|"
    r"connection (?:timed out|reset|already closed)|the database system is (?:starting up|shutting down|in recovery)|"
    r"could not translate host name|no route to host|lock timeout|deadlock detected|too many clients",
    re.IGNORECASE,
)


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
    except db.DatabaseConfigError as exc:   # unreachable (retry) or a bad setting (no retry)
        raise (TransientFailure if retryable(exc) else PermanentFailure)(str(exc)) from exc
    if present:
        return False
    log.info("staging views missing (first run on this database): building them with dbt first")
    target = target or dbt_target_path()
    target.mkdir(parents=True, exist_ok=True)
    # with their parents: some staging views read a seed (the staff assessments, the criteria catalogue)
    rc, out = run_child(dbt_command("build", "--select", "+path:models/staging", "--resource-type", "seed",
                                    "--resource-type", "model", target=target),
                        extra_env=as_of_env(as_of), cwd=DBT_PROJECT, timeout=1800)
    if rc != 0:
        parsed = read_run_results(target)
        raise classify_dbt_failure(rc, out, parsed[1] if parsed else None)
    return True


def dbt_command(*args: str, target: Path, wrapper: list[str] | None = None) -> list[str]:
    """dbt's command line; `wrapper` (dbt-ol) runs dbt itself and reports what it built."""
    return [*(wrapper or [str(Path(sys.executable).with_name("dbt"))]), *args, "--profiles-dir", str(DBT_PROJECT),
            "--project-dir", str(DBT_PROJECT), "--target-path", str(target), "--log-path", str(target / "logs")]


def as_of_env(as_of: str | None) -> dict[str, str]:
    """The build's as-of instant, through the environment: a --vars value that changes every
    night would make dbt re-parse the whole project each night (partial parsing keys on vars)."""
    return {"MOTCUA_AS_OF": as_of} if as_of else {}


def classify_dbt_failure(rc: int, output: str, results: list[dict] | None) -> Exception:
    """A failing data test blocks like a gate; an outage retries; anything else is a code problem."""
    failed_tests = [r["unique_id"] for r in results or [] if r.get("status") == "fail"]
    errors = [r for r in results or [] if r.get("status") == "error"]
    if any(_DBT_OUTAGE.search(r.get("message") or "") for r in errors) or (not results and _DBT_OUTAGE.search(output)):
        return TransientFailure(f"dbt build failed on a database outage (exit {rc})")
    if failed_tests and not errors:
        shown = ", ".join(failed_tests[:10]) + (" …" if len(failed_tests) > 10 else "")
        return DataGateBlocked(f"dbt data tests failed ({len(failed_tests)}): {shown}")
    first = (errors[0].get("unique_id"), (errors[0].get("message") or "").strip()[:500]) if errors else None
    detail = f"{first[0]}: {first[1]}" if first else output.strip()[-1500:]
    return PermanentFailure(f"dbt build failed (exit {rc}); {len(errors)} error(s), "
                            f"{len(failed_tests)} failed test(s); first: {detail}")


def dbt_build(as_of: str, target: Path | None = None, extra_args: tuple[str, ...] = (),
              lineage_parent: tuple[str, str] | None = None) -> DbtRun:
    """`dbt build` of the whole project (incremental models recompute only what changed).

    Unit tests are CI's business (they mock inputs and prove nothing about tonight's data), so the
    nightly excludes them, as dbt recommends for production builds. With lineage on (MOTCUA_LINEAGE,
    motcua/lineage.py) dbt-ol runs the same build and emits each model's OpenLineage events, as a
    child of `lineage_parent` (the Airflow task's and DAG run's NAMESPACE/JOB/RUN_ID) when given.
    """
    from nightly.lineage import dbt_lineage

    target = target or dbt_target_path()
    target.mkdir(parents=True, exist_ok=True)
    (target / "run_results.json").unlink(missing_ok=True)     # never read a previous run's results
    timeout = float(os.environ.get("MOTCUA_DBT_TIMEOUT_SECONDS", "7200"))
    wrapper, lineage_env = dbt_lineage(*(lineage_parent or ()))
    rc, out = run_child(dbt_command("build", "--exclude-resource-type", "unit_test", *extra_args, target=target,
                                    wrapper=wrapper),
                        extra_env={**lineage_env, **as_of_env(as_of)}, cwd=DBT_PROJECT, timeout=timeout)
    parsed = read_run_results(target)
    if rc != 0:
        raise classify_dbt_failure(rc, out, parsed[1] if parsed else None)
    if parsed is None:
        raise PermanentFailure(f"dbt build succeeded but wrote no run_results.json in {target}")
    return parsed[0]
