"""publish(): the built marts become what BI reads, and the history records them — one transaction.

Order inside the transaction (all or nothing):
  1. an advisory lock (one publisher at a time), a bounded lock wait (BI queries hold share locks);
  2. the marts gate verdict for the night must be a pass, newer than the build (when known);
  3. the tables in the build schema are discovered (contract tables required);
  4. value changes against the history are staged;
  5. unless a newer night is already published, marts.* are replaced by the build's rows;
  6. the publication row and its value changes are appended to audit.*.
A rerun of a night with identical figures appends a publication and no value change.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

import psycopg

from ingestion import db
from publish import history, swap
from publish.catalog import discover
from publish.config import PUBLISHED_SCHEMA, PublishConfig, manifest_grains
from publish.errors import GateNotPassed, TransientFailure

log = logging.getLogger(__name__)

LOCK_KEY = 0x6D6F74637561  # "motcua": serialises publishers across processes


@dataclass(frozen=True)
class PublishRequest:
    run_id: str
    local_date: date
    interval_start: datetime
    interval_end: datetime
    git_commit: str | None = None
    dbt_invocation_id: str | None = None
    built_at: datetime | None = None          # dbt's run_results generated_at: the gate must be newer
    gate_summary: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    publication_id: int
    published_at: datetime
    swapped: bool
    tables: dict[str, dict]

    @property
    def revisions(self) -> int:
        return sum(t.get("values", {}).get("changed", 0) for t in self.tables.values())

    def summary(self) -> str:
        verb = "published to marts" if self.swapped else "recorded in history only (a newer night is published)"
        parts = [f"publication {self.publication_id} {verb} at {self.published_at.isoformat()}; "
                 f"{self.revisions} revised value(s)"]
        for name, t in self.tables.items():
            values = t.get("values")
            extra = (f", values changed {values['changed']} added {values['added']} removed {values['removed']}"
                     if values else "")
            parts.append(f"  {name}: {t['rows']} rows ({t['table']}){extra}")
        return "\n".join(parts)


def check_gate(conn: psycopg.Connection, local_date: date, built_at: datetime | None) -> dict:
    """The latest marts verdict for the night (quality.gate_runs, written by the GX gate)."""
    row = conn.execute(
        """select run_id::text, passed, finished_at from quality.gate_runs
            where layer in ('marts', 'all') and local_date = %s
            order by finished_at desc limit 1""",
        (local_date,),
    ).fetchone()
    if row is None:
        raise GateNotPassed(f"no marts gate run for {local_date}: run `python -m expectations gate --layer marts "
                            f"--date {local_date}` first")
    run_id, passed, finished_at = row
    if not passed:
        raise GateNotPassed(f"the latest marts gate run for {local_date} ({run_id}) blocked publication")
    if built_at is not None and finished_at < built_at:
        raise GateNotPassed(f"the latest marts gate run for {local_date} ({run_id}, {finished_at.isoformat()}) "
                            f"is older than the build ({built_at.isoformat()}): validate the new build first")
    return {"run_id": run_id, "passed": passed, "finished_at": finished_at.isoformat()}


def publish(request: PublishRequest, *, dbname: str | None = None, config: PublishConfig | None = None,
            require_gate: bool = True, lock_timeout_s: int = 120) -> PublishResult:
    cfg = config or PublishConfig.from_env()
    try:
        with db.connect("transform", dbname) as conn:
            result = _publish(conn, request, cfg, require_gate, lock_timeout_s)
    except (db.DatabaseConfigError, psycopg.OperationalError) as exc:
        # connection lost, server restarting, lock wait timed out: the same publish may succeed later
        raise TransientFailure(f"publish could not complete: {exc}") from exc
    log.info("%s", result.summary())
    return result


def _publish(conn: psycopg.Connection, req: PublishRequest, cfg: PublishConfig, require_gate: bool,
             lock_timeout_s: int) -> PublishResult:
    with conn.transaction():
        conn.execute(f"set local lock_timeout = '{int(lock_timeout_s)}s'")
        conn.execute("select pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        gate = check_gate(conn, req.local_date, req.built_at) if require_gate else None
        specs = discover(conn, cfg.build_schema, manifest_grains(cfg.manifest_path))
        changes = history.stage_value_changes(conn, cfg.build_schema, specs)
        newest = history.newest_swapped_interval_end(conn)
        swapped = newest is None or req.interval_end >= newest
        if swapped and not cfg.in_place:
            actions = swap.copy_tables(conn, cfg.build_schema, specs)
        else:
            actions = {s.name: "in place" if cfg.in_place else "not copied" for s in specs}
        tables = {}
        for spec in specs:
            rows = conn.execute(f'select count(*) from "{cfg.build_schema}"."{spec.name}"').fetchone()[0]
            tables[spec.name] = {"rows": rows, "table": actions[spec.name]}
            if spec.name in changes:
                tables[spec.name]["values"] = changes[spec.name].as_json()
                tables[spec.name]["grain"] = list(spec.grain or ())
        summary = dict(req.gate_summary)
        if gate is not None:
            summary.setdefault("marts_verdict", gate)
        publication_id, published_at = history.record_publication(
            conn, run_id=req.run_id, local_date=req.local_date, interval_start=req.interval_start,
            interval_end=req.interval_end, git_commit=req.git_commit, dbt_invocation_id=req.dbt_invocation_id,
            build_schema=cfg.build_schema, swapped=swapped, gate_summary=summary, tables=tables,
        )
    if cfg.in_place:
        log.warning("MOTCUA_BUILD_SCHEMA is %s: dbt builds straight into the published schema, so BI saw these "
                    "figures before the gate; set the dbt marts schema to a build schema", PUBLISHED_SCHEMA)
    return PublishResult(publication_id=publication_id, published_at=published_at, swapped=swapped, tables=tables)
