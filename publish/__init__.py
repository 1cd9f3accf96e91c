"""Publishing: gated copy of the built marts into `marts` plus an append-only history in `audit`.

    from publish import PublishRequest, publish
    result = publish(PublishRequest(run_id=..., local_date=..., interval_start=..., interval_end=...))

The steps of the nightly DAG, its alerts and its night baton live in the nightly/ package.
"""
from publish.config import PublishConfig
from publish.errors import (
    DataGateBlocked, GateNotPassed, NightlyError, PermanentFailure, PublishError, TransientFailure,
)
from publish.builds import BuildNotComplete
from publish.publisher import PublishRequest, PublishResult, publish

__all__ = [
    "BuildNotComplete", "DataGateBlocked", "GateNotPassed", "NightlyError", "PermanentFailure", "PublishConfig", "PublishError",
    "PublishRequest", "PublishResult", "TransientFailure", "publish",
]
