"""Capture: the night's bounded catch-up of both Kafka topics into the raw layer (`motcua ingest consume --all`)."""
from __future__ import annotations

import sys

from motcua.settings import PROJECT_ROOT
from nightly.run import run_child
from publish.errors import TransientFailure


def ingest(max_seconds: float) -> dict:
    """Bounded catch-up of the case and the staff topic (one loader process each, side by side):
    load until PostgreSQL's positions reach the end offsets seen at start."""
    rc, out = run_child([sys.executable, "-m", "motcua", "ingest", "consume", "--all", "--bounded", "--max-seconds",
                         str(max_seconds)], cwd=PROJECT_ROOT, timeout=max_seconds + 120)
    if rc != 0:
        # A timeout (2), the broker or database unreachable: all outages, all worth a retry.
        raise TransientFailure(f"bounded ingest exited {rc}: {out.strip().splitlines()[-1] if out.strip() else ''}")
    summaries = [ln.strip() for ln in out.splitlines() if " messages in " in ln]
    return {"summary": "; ".join(summaries)}
