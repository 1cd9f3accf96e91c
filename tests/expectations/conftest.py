"""Fixtures of the quality-gate tests: a migrated database (pg_db) filled with steady history."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from expectations.config import GateConfig  # noqa: E402
from tests.expectations import data  # noqa: E402


@pytest.fixture()
def gate_config(tmp_path) -> GateConfig:
    return GateConfig(data_docs_dir=tmp_path / "data_docs", gx_state_dir=tmp_path / "gx")


@pytest.fixture()
def good_db(pg_db) -> str:
    """History of three agencies up to and including the gate day, models built."""
    data.load_history(pg_db)
    return pg_db
