"""publish(): the built marts become what BI reads, and the history records them — one transaction.

Order inside the transaction (all or nothing):
  1. an advisory lock (one publisher at a time), a bounded lock wait (BI queries hold share locks);
  2. the build must have completed (lineage.dbt_build_runs: not killed, not failed, no full rebuild
     left unfinished), and the latest marts verdict for the night must be a pass that evaluated
     expectations on that same dbt invocation (publish/builds.py);
  3. the tables in the build schema are discovered (contract tables required);
  4. the scope is read from dbt's publish queue: every row, or the rows of the cases the builds
     since the last publication recomputed and the KPI rows they count in (publish/scope.py);
  5. value changes against the history are staged (for the rows in scope);
  6. unless a newer night is already published, the published tables get the build's rows in
     scope, and the queue entries are consumed;
  7. the publication row and its value changes are appended to audit.*.
A rerun of a night with identical figures appends a publication and no value change.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

import psycopg

from motcua import db
from motcua.errors import retryable
from publish import history, swap
from publish import scope as scope_mod
from publish.builds import BuildRun, require_complete_build
from publish.catalog import discover
from publish.config import PUBLISHED_SCHEMA, PublishConfig, manifest_grains
from publish.errors import GateNotPassed, PermanentFailure, TransientFailure
from publish.scope import PublishScope

log = logging.getLogger(__name__)

LOCK_KEY = 0x6D6F74637561  # "motcua": serialises publishers across processes


@dataclass(frozen=True)
class PublishRequest:
    run_id: str
    local_date: date
    interval_start: datetime
    interval_end: datetime
    git_commit: str | None = None
    dbt_invocation_id: str | None = None      # informative: the publication records the build found in the database
    built_at: datetime | None = None          # informative (run_results generated_at); see publish/builds.py
    gate_summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    publication_id: int
    published_at: datetime
    swapped: bool
    tables: dict[str, dict]
    scope: PublishScope | None = None

    @property
    def revisions(self) -> int:
        return sum(t.get("values", {}).get("changed", 0) for t in self.tables.values())

    def summary(self) -> str:
        verb = "published to marts" if self.swapped else "recorded in history only (a newer night is published)"
        parts = [f"publication {self.publication_id} {verb} at {self.published_at.isoformat()}; "
                 f"{self.revisions} revised value(s)"]
        if self.scope is not None:
            parts.append(f"  scope: {'everything' if self.scope.full else 'queued cases only'} ({self.scope.reason})")
        for name, t in self.tables.items():
            values = t.get("values")
            extra = (f", values changed {values['changed']} added {values['added']} removed {values['removed']}"
                     if values else "")
            size = (f"{t['rows']} rows" if "rows" in t
                    else f"{t['copied']} rows copied in place of {t['replaced']}")
            parts.append(f"  {name}: {size} ({t['table']}){extra}")
        return "\n".join(parts)


def check_gate(conn: psycopg.Connection, local_date: date, build: BuildRun) -> dict:
    """The latest marts verdict for the night (quality.gate_runs, written by motcua_gate) must be a
    pass that evaluated expectations on this very build."""
    row = conn.execute(
        """select run_id::text, passed, finished_at, evaluated, dbt_invocation_id from quality.gate_runs
            where layer in ('marts', 'all') and local_date = %s
            order by finished_at desc limit 1""",
        (local_date,),
    ).fetchone()
    if row is None:
        raise GateNotPassed(f"no marts gate run for {local_date}: run `motcua gate gate --layer marts "
                            f"--date {local_date}` first")
    run_id, passed, finished_at, evaluated, invocation = row
    if not passed:
        raise GateNotPassed(f"the latest marts gate run for {local_date} ({run_id}) blocked publication")
    if not evaluated:
        raise GateNotPassed(f"the latest marts gate run for {local_date} ({run_id}) evaluated no expectation: "
                            "a verdict on nothing does not publish")
    if invocation != build.invocation_id:
        judged = f"dbt build {invocation}" if invocation else "no recorded dbt build"
        raise GateNotPassed(f"the latest marts gate run for {local_date} ({run_id}) judged {judged}, not the "
                            f"build to publish ({build.invocation_id}): run the marts gate on this build")
    return {"run_id": run_id, "passed": passed, "finished_at": finished_at.isoformat(), "evaluated": evaluated,
            "dbt_invocation_id": invocation}


def publish(request: PublishRequest, *, dbname: str | None = None, config: PublishConfig | None = None,
            require_gate: bool = True, lock_timeout_s: int = 120, full: bool = False) -> PublishResult:
    """Publish the build (see the module's docstring). `full` copies and compares every row even
    when the publish queue says only some cases changed."""
    cfg = config or PublishConfig.from_env()
    try:
        with db.connect("transform", dbname) as conn:
            result = _publish(conn, request, cfg, require_gate, lock_timeout_s, full)
    except (db.DatabaseConfigError, psycopg.OperationalError) as exc:
        # connection lost, server restarting, lock wait timed out: the same publish may succeed later
        # (an unknown role is a setting to fix: motcua.db classified it, retryable() reads the type)
        raise (TransientFailure if retryable(exc) else PermanentFailure)(f"publish could not complete: {exc}") from exc
    log.info("%s", result.summary())
    return result


def _publish(conn: psycopg.Connection, req: PublishRequest, cfg: PublishConfig, require_gate: bool,
             lock_timeout_s: int, full: bool) -> PublishResult:
    with conn.transaction():
        conn.execute(f"set local lock_timeout = '{int(lock_timeout_s)}s'")
        # A night's scope is a few thousand keys: probing the indexes beats scanning whole tables,
        # which PostgreSQL's default cost of a random read (tuned for spinning disks) hides.
        conn.execute("set local random_page_cost = 1.1")
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        build = require_complete_build(conn, cfg.build_schema)
        gate = check_gate(conn, req.local_date, build) if require_gate else None
        specs = discover(conn, cfg.build_schema, manifest_grains(cfg.manifest_path))
        newest = history.newest_swapped_interval_end(conn)
        swapped = newest is None or req.interval_end >= newest
        copying = swapped and not cfg.in_place
        scope = scope_mod.read(conn, cfg.build_schema, force_full=full or not copying)
        if not copying:
            actions = {s.name: "in place" if cfg.in_place else "not copied" for s in specs}
        else:
            actions = swap.prepare_tables(conn, cfg.build_schema, specs)
            scope = _narrow(conn, cfg.build_schema, specs, scope, actions)
        changes = history.stage_value_changes(conn, cfg.build_schema, specs, scope)
        counts = swap.copy_rows(conn, cfg.build_schema, specs, scope) if copying else {}
        if swapped:   # what the queue announced is now published (or was already there, in place)
            scope_mod.consume(conn, cfg.build_schema, scope)
        tables = {}
        for spec in specs:
            rows = counts.get(spec.name) or {"rows": conn.execute(
                f'select count(*) from "{cfg.build_schema}"."{spec.name}"').fetchone()[0]}
            tables[spec.name] = {**rows, "table": actions[spec.name]}
            if spec.name in changes:
                tables[spec.name]["values"] = changes[spec.name].as_json()
                tables[spec.name]["grain"] = list(spec.grain or ())
        summary = dict(req.gate_summary)
        if gate is not None:
            summary.setdefault("marts_verdict", gate)
        summary["scope"] = scope.as_json()
        summary["build"] = build.as_json()
        publication_id, published_at = history.record_publication(
            conn, run_id=req.run_id, local_date=req.local_date, interval_start=req.interval_start,
            interval_end=req.interval_end, git_commit=req.git_commit, dbt_invocation_id=build.invocation_id,
            build_schema=cfg.build_schema, swapped=swapped, gate_summary=summary, tables=tables,
        )
    if cfg.in_place:
        log.warning("MOTCUA_BUILD_SCHEMA is %s: dbt builds straight into the published schema, so BI saw these "
                    "figures before the gate; set the dbt marts schema to a build schema", PUBLISHED_SCHEMA)
    return PublishResult(publication_id=publication_id, published_at=published_at, swapped=swapped, tables=tables,
                         scope=scope)


def _narrow(conn: psycopg.Connection, build_schema: str, specs: list, scope: PublishScope,
            actions: dict[str, str]) -> PublishScope:
    """Stage the touched keys of an incremental scope, or fall back to a full one when the
    published side cannot serve as the 'before' state."""
    if scope.full:
        return scope
    fresh = sorted(name for name, action in actions.items() if action != "kept")
    if fresh:
        return PublishScope(True, f"published table(s) {', '.join(fresh)} new or reshaped", scope.invocations)
    membership = next((s for s in specs if s.name == scope_mod.MEMBERSHIP), None)
    if membership is None:
        return PublishScope(True, f"no {scope_mod.MEMBERSHIP} in the build to find the touched KPI rows",
                            scope.invocations)
    published_membership = f"{membership.destination.schema}.{membership.name}"
    for spec in specs:
        if scope_mod.keyable(spec) and spec.name not in scope_mod.BY_CASE:
            scope_mod.stage_touched_keys(conn, build_schema, published_membership, spec)
    return scope
