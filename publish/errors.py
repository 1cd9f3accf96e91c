"""Failure classes of the nightly steps, by what a retry could change.

The DAG retries TransientFailure (broker or database down, a lock wait) with exponential
backoff and turns DataGateBlocked and PermanentFailure into AirflowFailException: retrying a
blocked gate or a broken model recomputes the same verdict.
"""
from __future__ import annotations


class NightlyError(RuntimeError):
    """Base of the errors the nightly steps raise on purpose."""


class TransientFailure(NightlyError):
    """An outage (Kafka, PostgreSQL, a lock timeout): the same step may succeed later."""


class PermanentFailure(NightlyError):
    """Configuration or code is wrong (a missing table, a failing model): a retry cannot help."""


class DataGateBlocked(NightlyError):
    """A quality gate (GX, or a failing dbt data test) refused the night's data or figures."""


class PublishError(PermanentFailure):
    """The build cannot be published as it is (a contract table missing, an unpublishable shape)."""


class GateNotPassed(DataGateBlocked):
    """No passing marts gate verdict covers this build, so it must not reach BI."""
