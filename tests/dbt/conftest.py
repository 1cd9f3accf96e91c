"""Fixtures for the dbt tests: a fresh migrated database and a private dbt target folder, shared
by the tests of one module (a dbt build is the expensive part: run it once per module)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestion import db


@pytest.fixture(scope="module")
def module_db(services) -> Iterator[str]:
    name = f"motcua_t_{uuid.uuid4().hex[:10]}"
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        db.migrate(name)
        yield name
    finally:
        with db.connect("owner", "postgres", autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture(scope="module")
def dbt_target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_target")
