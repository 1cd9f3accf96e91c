"""Capture: the night's bounded catch-up of the Kafka topic into the raw layer (`motcua ingest consume`)."""
from __future__ import annotations

import sys

from motcua.settings import PROJECT_ROOT
from nightly.run import run_child
from publish.errors import TransientFailure


def ingest(max_seconds: float) -> dict:
    """Bounded catch-up: load until PostgreSQL's positions reach the end offsets seen at start."""
    rc, out = run_child([sys.executable, "-m", "motcua", "ingest", "consume", "--bounded", "--max-seconds",
                         str(max_seconds)], cwd=PROJECT_ROOT, timeout=max_seconds + 120)
    if rc != 0:
        # A timeout (2), the broker or database unreachable: all outages, all worth a retry.
        raise TransientFailure(f"bounded ingest exited {rc}: {out.strip().splitlines()[-1] if out.strip() else ''}")
    summary = next((ln for ln in reversed(out.splitlines()) if " messages in " in ln), "")
    return {"summary": summary.strip()}
