"""Fixtures for the dbt tests: a fresh migrated database and a private dbt target folder, shared
by the tests of one module (a dbt build is the expensive part: run it once per module)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def module_db(services) -> Iterator[str]:
    with fresh_database() as name:
        yield name


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_target")
