"""Where a publication's figures came from: the code's git commit and dbt's invocation."""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from motcua.settings import PROJECT_ROOT


def git_commit(root: Path = PROJECT_ROOT) -> str | None:
    """HEAD of the deployed code, '+dirty' when tracked files differ; MOTCUA_GIT_COMMIT wins
    (images built without .git pass it in)."""
    pinned = os.environ.get("MOTCUA_GIT_COMMIT", "").strip()
    if pinned:
        return pinned
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=20, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if dirty else head


@dataclass(frozen=True)
class DbtRun:
    invocation_id: str | None
    generated_at: datetime | None
    elapsed_s: float | None
    statuses: dict[str, int]          # e.g. {"success": 40, "pass": 230}

    def as_json(self) -> dict:
        return {"invocation_id": self.invocation_id,
                "generated_at": self.generated_at.isoformat() if self.generated_at else None,
                "elapsed_s": self.elapsed_s, "statuses": self.statuses}

    @classmethod
    def from_json(cls, data: dict) -> "DbtRun":
        at = data.get("generated_at")
        return cls(invocation_id=data.get("invocation_id"),
                   generated_at=datetime.fromisoformat(at) if at else None,
                   elapsed_s=data.get("elapsed_s"), statuses=dict(data.get("statuses") or {}))


def read_run_results(target_path: Path) -> tuple[DbtRun, list[dict]] | None:
    """dbt's run_results.json of the last command in that target folder (None if absent)."""
    path = Path(target_path) / "run_results.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    meta = data.get("metadata", {})
    results = data.get("results", [])
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.get("status", "?")] = statuses.get(r.get("status", "?"), 0) + 1
    at = meta.get("generated_at")
    generated = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
    return DbtRun(meta.get("invocation_id"), generated, data.get("elapsed_time"), statuses), results
