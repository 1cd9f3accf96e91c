"""Fixtures for the dbt tests: a private dbt target folder per test."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture()
def dbt_target(tmp_path: Path) -> Path:
    path = tmp_path / "dbt_target"
    path.mkdir()
    return path
