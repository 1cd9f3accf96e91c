"""Validation history in PostgreSQL (quality.gate_runs, quality.validation_results; 004_quality.sql)."""
from __future__ import annotations

import json
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from expectations.results import GateResult
from motcua.errors import PermanentError


class HistoryStoreError(PermanentError, RuntimeError):
    """The validation history could not be written (missing migration or grant?)."""


def _json(value: Any) -> Jsonb | None:
    if value is None:
        return None
    # Round-trip through json with default=str: GX results carry Decimals, datetimes and UUIDs.
    return Jsonb(json.loads(json.dumps(value, default=str)))


def save(conn: psycopg.Connection, result: GateResult, config: dict, gx_version: str) -> None:
    try:
        with conn.transaction():
            conn.execute(
                """insert into quality.gate_runs (run_id, layer, local_date, data_interval_start,
                       data_interval_end, started_at, finished_at, passed, evaluated, critical_failures,
                       warnings, data_docs_url, gx_version, config, dbt_invocation_id)
                   values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                (result.run_id, result.layer, result.day, result.interval_start, result.interval_end,
                 result.started_at, result.finished_at, result.passed, len(result.outcomes),
                 len(result.critical_failures), len(result.warnings), result.data_docs_index,
                 gx_version, _json(config), result.dbt_invocation_id),
            )
            with conn.cursor() as cur:
                cur.executemany(
                    """insert into quality.validation_results (run_id, suite, expectation, expectation_type,
                           severity, success, observed_value, unexpected_count, element_count, details,
                           description, data_interval_start, data_interval_end, validated_at, data_docs_url)
                       values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                    [(result.run_id, o.suite, o.expectation, o.expectation_type, o.severity, o.success,
                      _json(o.observed_value), o.unexpected_count, o.element_count, _json(o.details),
                      o.description, result.interval_start, result.interval_end, result.finished_at,
                      o.docs_url) for o in result.outcomes],
                )
    except psycopg.Error as exc:
        raise HistoryStoreError(
            f"cannot write quality.* history: {exc}".strip()
            + "\nAre the migrations applied (motcua ingest migrate), and does the gate run as motcua_gate?"
        ) from exc
