"""Exactly once in effect under kill -9, rebalances, broker and PostgreSQL restarts.

Runs the real CLI in subprocesses against a private Kafka + PostgreSQL pair (see
private_stack.py) so that killing and restarting services disturbs no other test.
"""
from __future__ import annotations

import random
import re
import signal
import time
import uuid

import pytest

from tests.ingestion.events import produce, received_messages
from tests.ingestion.private_stack import start_private_stack, wait_until
from tests.ingestion.staff_events import assessed_messages

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack():
    stack = start_private_stack()
    yield stack
    stack.stop()


def new_topic(stack, partitions: int) -> str:
    topic = f"fault.{uuid.uuid4().hex[:10]}"
    result = stack.cli("--topic", topic, "topic", "--partitions", str(partitions))
    assert result.returncode == 0, result.stderr
    return topic


def assert_exactly_once(stack, topic: str, group: str, expected: int) -> None:
    assert stack.scalar("select count(*) from raw.case_events where kafka_topic = %s", topic) == expected
    assert stack.scalar("select count(distinct case_id) from raw.case_events where kafka_topic = %s", topic) == expected
    assert stack.scalar("select count(*) from raw.redeliveries where kafka_topic = %s", topic) == 0
    assert stack.scalar("select count(*) from raw.quarantine where kafka_topic = %s", topic) == 0
    result = stack.cli("--topic", topic, "reconcile", "--group", group)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stack.scalar(
        "select sum(next_offset - first_offset) from raw.consumer_positions where kafka_topic = %s and consumer_group = %s",
        topic, group) == expected


def test_kill_9_at_random_points_never_loses_or_doubles(stack):
    topic = new_topic(stack, partitions=6)
    n = 100_000
    produce(stack.env["KAFKA_BOOTSTRAP_SERVERS"], topic, received_messages(n, prefix="K"))
    rng = random.Random(20261127)
    env = {"KAFKA_TOPIC": topic}
    kills = 0
    for _ in range(5):
        proc = stack.start_consumer("--bounded", "--group", "crash", "--batch-size", "2000", **env)
        time.sleep(rng.uniform(1.5, 4.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        loaded = stack.scalar("select count(*) from raw.case_events where kafka_topic = %s", topic)
        assert loaded <= n
    assert kills >= 3, "the load finished too fast to be interrupted; raise n"
    final = stack.cli("consume", "--bounded", "--group", "crash", "--max-seconds", "300", **env)
    assert final.returncode == 0, final.stdout + final.stderr
    assert_exactly_once(stack, topic, "crash", n)


def test_kill_9_of_the_staff_loader_never_loses_or_doubles(stack):
    """The same guarantee on the staff topic: rows, redeliveries and positions in one transaction."""
    topic = new_topic(stack, partitions=4)
    n = 40_000
    produce(stack.env["KAFKA_BOOTSTRAP_SERVERS"], topic, assessed_messages(n, prefix="K"))
    rng = random.Random(20261130)
    env = {"KAFKA_STAFF_TOPIC": topic}
    kills = 0
    for _ in range(4):
        proc = stack.start_consumer("--contract", "staff", "--bounded", "--group", "staff-crash",
                                    "--batch-size", "1000", **env)
        time.sleep(rng.uniform(1.5, 3.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        assert stack.scalar("select count(*) from raw.staff_events where kafka_topic = %s", topic) <= n
    assert kills >= 2, "the load finished too fast to be interrupted; raise n"
    final = stack.cli("consume", "--contract", "staff", "--bounded", "--group", "staff-crash",
                      "--max-seconds", "300", **env)
    assert final.returncode == 0, final.stdout + final.stderr
    assert stack.scalar("select count(*) from raw.staff_events where kafka_topic = %s", topic) == n
    assert stack.scalar("select count(distinct officer_id) from raw.staff_events where kafka_topic = %s", topic) == n
    assert stack.scalar("select count(*) from raw.redeliveries where kafka_topic = %s", topic) == 0
    assert stack.scalar("select count(*) from raw.quarantine where kafka_topic = %s", topic) == 0
    assert stack.scalar("select count(*) from raw.case_events where kafka_topic = %s", topic) == 0
    check = stack.cli("reconcile", "--contract", "staff", "--group", "staff-crash", **env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert stack.scalar(
        "select sum(next_offset - first_offset) from raw.consumer_positions where kafka_topic = %s "
        "and consumer_group = %s", topic, "staff-crash") == n


def test_two_consumers_share_partitions_and_one_dies(stack):
    topic = new_topic(stack, partitions=6)
    env = {"KAFKA_TOPIC": topic}
    first = stack.start_consumer("--group", "pair", "--batch-size", "500", **env)
    second = stack.start_consumer("--group", "pair", "--batch-size", "500", **env)
    time.sleep(3)
    n = 40_000
    produce(stack.env["KAFKA_BOOTSTRAP_SERVERS"], topic, received_messages(n, prefix="P"))
    wait_until(lambda: stack.scalar(
        "select count(*) from raw.consumer_positions where kafka_topic = %s and loaded > 0", topic) == 6,
        60, "both consumers to load from all partitions")
    second.send_signal(signal.SIGKILL)
    second.wait()
    produce(stack.env["KAFKA_BOOTSTRAP_SERVERS"], topic, received_messages(10_000, prefix="Q"))
    wait_until(lambda: stack.scalar(
        "select count(*) from raw.case_events where kafka_topic = %s", topic) == n + 10_000,
        120, "the survivor to take over the dead member's partitions")
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 0
    assert_exactly_once(stack, topic, "pair", n + 10_000)


def test_broker_and_postgres_restarts_during_a_load(stack):
    topic = new_topic(stack, partitions=4)
    n = 150_000
    produce(stack.env["KAFKA_BOOTSTRAP_SERVERS"], topic, received_messages(n, prefix="R"))
    proc = stack.start_consumer("--group", "restarts", "--batch-size", "1000", KAFKA_TOPIC=topic)
    wait_until(lambda: stack.scalar("select count(*) from raw.case_events where kafka_topic = %s", topic) > 5_000,
               60, "the load to start")
    stack.service("postgres.sh", "down")
    time.sleep(3)
    stack.service("postgres.sh", "up")
    stack.service("kafka.sh", "down")
    time.sleep(2)
    stack.service("kafka.sh", "up")
    wait_until(lambda: stack.scalar("select count(*) from raw.case_events where kafka_topic = %s", topic) == n,
               240, "the load to finish after the restarts")
    proc.send_signal(signal.SIGTERM)
    output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, output
    outages = re.search(r"database outages (\d+)", output)
    assert outages and int(outages.group(1)) >= 1, output[-2000:]  # the restart was really felt
    assert_exactly_once(stack, topic, "restarts", n)
