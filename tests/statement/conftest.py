"""A database holding the hand-written evaluation marts (eval_marts.py) and their history."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import fresh_database
from tests.statement import eval_marts as em


@pytest.fixture(scope="package")
def published(services) -> Iterator[str]:
    with fresh_database() as name:
        em.load_scenario(name)
        em.publish_history(name)
        yield name
