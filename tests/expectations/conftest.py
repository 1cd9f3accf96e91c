"""Fixtures of the quality-gate tests: a migrated database (pg_db) filled with steady history."""
from __future__ import annotations

from contextlib import contextmanager

import os
import uuid
from collections.abc import Iterator

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from expectations.config import GateConfig  # noqa: E402
from ingestion import db  # noqa: E402
from tests.conftest import fresh_database  # noqa: E402
from tests.expectations import data  # noqa: E402


@pytest.fixture()
def gate_config(tmp_path) -> GateConfig:
    return GateConfig(data_docs_dir=tmp_path / "data_docs", gx_state_dir=tmp_path / "gx")


@pytest.fixture(scope="session")
def built_history(services, tmp_path_factory) -> Iterator[str]:
    """History of three agencies up to and including the gate day, built by the real dbt project
    once per session; each test gets a copy (good_db)."""
    with fresh_database() as name:
        data.load_history(name, target_path=tmp_path_factory.mktemp("dbt_gate"))
        yield name


@contextmanager
def copy_of(template: str) -> Iterator[str]:
    """A copy of a built database (CREATE DATABASE ... TEMPLATE: seconds, not a dbt build)."""
    name = f"motcua_t_{uuid.uuid4().hex[:10]}"
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'create database "{name}" template "{template}"')
        # a template copies the contents, not the database's own grants (002_grants.sql)
        conn.execute(f'grant create, connect on database "{name}" to motcua_transform')
        conn.execute(f'grant connect on database "{name}" to motcua_ingest, motcua_bi, motcua_auditor')
    try:
        yield name
    finally:
        with db.connect("owner", "postgres", autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture()
def good_db(built_history) -> Iterator[str]:
    """A copy of the built history."""
    with copy_of(built_history) as name:
        yield name
