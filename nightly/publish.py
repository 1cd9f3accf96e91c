"""Publish: the night's gated build into BI's schema, with its history (publish.publish)."""
from __future__ import annotations

from datetime import date, datetime

from publish.provenance import DbtRun


def publish_night(run_id: str, day: date, start: datetime, end: datetime, build: dict, verdicts: dict) -> dict:
    """Publish the night's gated build (publish.publish): one transaction, history appended.

    `build` is dbt_build's DbtRun as JSON, `verdicts` the gates' (raw, staging, marts) as returned
    by gate(). Returns what the task hands on: the publication id, whether BI's tables were swapped,
    the number of revised values and the tables published (their lineage).
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
    return {"publication_id": result.publication_id, "swapped": result.swapped, "revisions": result.revisions,
            "tables": sorted(result.tables)}
