"""Gate: the Great Expectations quality gate of one layer for the night's local date.

A blocked gate raises DataGateBlocked (no retry). A gate that could not run is classified by the
type of its failure (motcua.errors.retryable): the database or a GX store clash is transient,
anything else permanent.
"""
from __future__ import annotations

import os
from datetime import date

from motcua.errors import retryable
from nightly.run import quiet_loggers
from publish.errors import DataGateBlocked, PermanentFailure, TransientFailure


def gate(layers: tuple[str, ...], day: date) -> dict:
    """Run the GX gate per layer for the local date; all layers run, then any block fails the step."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from expectations.config import GateConfigError
    from expectations.gate import GateError, run_gate
    from expectations.interval import IntervalError

    quiet_loggers()
    verdicts, blocked = {}, []
    for layer in layers:
        try:
            with _gx_store_lock():
                result = run_gate(layer, day)
        except (GateConfigError, GateError, IntervalError) as exc:
            raise PermanentFailure(f"gate {layer} could not run: {exc}") from exc
        except Exception as exc:   # GX wraps driver errors: the chain's types say outage or bug
            if retryable(exc) or _gx_clash(exc):
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
    from great_expectations.exceptions.resource_freshness import (
        ResourceFreshnessAggregateError, ResourceFreshnessError,
    )

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ResourceFreshnessError, ResourceFreshnessAggregateError)):
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
