"""Docs: the dbt docs of the published marts, and where the gate's GX Data Docs are."""
from __future__ import annotations

from pathlib import Path

from publish.errors import PermanentFailure, TransientFailure


def dbt_docs(as_of: str, target: Path | None = None) -> Path:
    """The dbt docs of the published marts (`motcua docs build`): one static page that opens from disk."""
    from motcua.docs import DocsError, build
    from motcua.errors import retryable

    try:
        return build()
    except DocsError as exc:
        raise (TransientFailure if retryable(exc) else PermanentFailure)(str(exc)) from exc


def data_docs_index() -> Path | None:
    """GX Data Docs are rebuilt by every gate run (its checkpoint's docs action): just locate them."""
    from expectations.config import GateConfig

    index = GateConfig.from_env().data_docs_dir / "index.html"
    return index if index.exists() else None
