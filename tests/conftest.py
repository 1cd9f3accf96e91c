"""Shared fixtures: the real local services, a fresh database and a fresh topic per test.

Tests never mock Kafka or PostgreSQL. The session fixture starts both services through the
project's own scripts (idempotent) and fails loudly when it cannot: a skipped test proves nothing.
"""
from __future__ import annotations

import os
import subprocess
import uuid
from contextlib import contextmanager
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ingestion import db
from ingestion.settings import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def services() -> KafkaSettings:
    for script in ("postgres.sh", "kafka.sh"):
        result = subprocess.run(
            ["bash", str(ROOT / "services" / script), "up"], capture_output=True, text=True, timeout=300
        )
        if result.returncode != 0:
            pytest.fail(
                f"services/{script} up failed; the tests need the real service.\n"
                f"{result.stdout}\n{result.stderr}\nRun 'make setup' first.",
                pytrace=False,
            )
    return KafkaSettings.from_env()


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, migrated database; dropped on exit."""
    name = f"motcua_t_{uuid.uuid4().hex[:10]}"
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    try:
        db.migrate(name)
        yield name
    finally:
        with db.connect("owner", "postgres", autocommit=True) as conn:
            conn.execute(f'drop database if exists "{name}" with (force)')


@pytest.fixture()
def pg_db(services) -> Iterator[str]:
    """A new, migrated database for one test."""
    with fresh_database() as name:
        yield name


@pytest.fixture()
def make_topic(services) -> Iterator[Callable[..., str]]:
    """Factory for unique topics on the real broker; deleted after the test."""
    from kafka.admin import KafkaAdminClient, NewTopic

    admin = KafkaAdminClient(bootstrap_servers=services.bootstrap_servers, client_id="tests-admin")
    created: list[str] = []

    def factory(partitions: int = 4) -> str:
        name = f"test.{uuid.uuid4().hex[:12]}"
        admin.create_topics([NewTopic(name, partitions, 1)])
        created.append(name)
        return name

    yield factory
    if created:
        try:
            admin.delete_topics(created)
        finally:
            admin.close()
    else:
        admin.close()


@pytest.fixture()
def env_for(pg_db, services) -> Callable[..., dict[str, str]]:
    """Environment for running the project's CLIs in a subprocess against the test database."""

    def build(**extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(PGDATABASE=pg_db, KAFKA_BOOTSTRAP_SERVERS=services.bootstrap_servers, **extra)
        return env

    return build
