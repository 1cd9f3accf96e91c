"""Failure classes of the nightly steps and the publication, by what a retry could change.

They are the project's root kinds (motcua/errors.py) under the names the nightly has always used:
TransientFailure is a TransientError (broker or database down, a lock wait: the DAG retries it
with exponential backoff), PermanentFailure a PermanentError and DataGateBlocked a GateBlocked
(exit 3): the DAG fails those at once (AirflowFailException), because retrying a blocked gate or
a broken model recomputes the same verdict. The DAG decides by type (motcua.errors.retryable).
"""
from __future__ import annotations

from motcua.errors import GateBlocked, MotcuaError, PermanentError, TransientError


class NightlyError(MotcuaError, RuntimeError):
    """Base of the errors the nightly steps raise on purpose."""


class TransientFailure(TransientError, NightlyError):
    """An outage (Kafka, PostgreSQL, a lock timeout): the same step may succeed later."""


class PermanentFailure(PermanentError, NightlyError):
    """Configuration or code is wrong (a missing table, a failing model): a retry cannot help."""


class DataGateBlocked(GateBlocked, NightlyError):
    """A quality gate (GX, or a failing dbt data test) refused the night's data or figures."""


class PublishError(PermanentFailure):
    """The build cannot be published as it is (a contract table missing, an unpublishable shape)."""


class GateNotPassed(DataGateBlocked):
    """No passing marts gate verdict covers this build, so it must not reach BI."""
