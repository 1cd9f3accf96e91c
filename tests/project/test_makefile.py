"""`make help` is a newcomer's map: the UI, docs, rerun and backfill are on it, each with its usage."""
from __future__ import annotations

import subprocess

from tests.conftest import ROOT


def test_make_help_lists_the_operating_targets():
    out = subprocess.run(["make", "-s", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    lines = {line.split()[1]: line for line in out.splitlines() if line.strip().startswith("make ")}
    for target in ("demo", "test", "ui", "docs", "rerun", "backfill", "up", "down", "status"):
        assert target in lines, f"make help does not list {target}"
    assert "NIGHT=YYYY-MM-DD" in lines["rerun"]
    assert "FROM=" in lines["backfill"] and "TO=" in lines["backfill"]
    assert "127.0.0.1" in lines["ui"] and "127.0.0.1" in lines["docs"]
