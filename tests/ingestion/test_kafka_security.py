"""Kafka holds applicants' personal data: private files, a finite retention, SASL/SCRAM + ACLs.

A private broker (and database) started by services/*.sh with MOTCUA_KAFKA_SASL=1, on the
private-stack ports, so the shared broker the other tests use stays as it is.
"""
from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import GroupAuthorizationFailedError, KafkaError

from tests.ingestion.events import received_messages
from tests.ingestion.staff_events import assessed_messages
from tests.ingestion.private_stack import PrivateStack, start_private_stack

TOPIC = "motcua.case-events"
GROUP = "motcua-raw-loader"
STAFF_TOPIC = "motcua.staff-events"
STAFF_GROUP = "motcua-staff-loader"
SEVEN_DAYS_MS = 7 * 24 * 60 * 60 * 1000          # 604 800 000
THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000        # 2 592 000 000, the broker's default


@pytest.fixture(scope="module")
def stack() -> Iterator[PrivateStack]:
    s = start_private_stack(extra_env={"MOTCUA_KAFKA_SASL": "1", "KAFKA_TOPIC": TOPIC,
                                       "KAFKA_CONSUMER_GROUP": GROUP})
    try:
        yield s
    finally:
        s.stop()


def sasl(stack: PrivateStack, user: str, password_var: str | None) -> dict:
    password = stack.env[password_var] if password_var else "not-the-password"
    return dict(bootstrap_servers=stack.env["KAFKA_BOOTSTRAP_SERVERS"], security_protocol="SASL_PLAINTEXT",
                sasl_mechanism="SCRAM-SHA-512", sasl_plain_username=user, sasl_plain_password=password,
                bootstrap_timeout_ms=5000)


def read_secrets(stack: PrivateStack) -> None:
    for line in (stack.state_dir / "secrets.env").read_text().splitlines():
        name, _, value = line.partition("=")
        stack.env[name] = value


def test_state_files_are_private_and_retention_finite(stack):
    created = stack.cli("topic", "--partitions", "3", MOTCUA_RAW_TOPIC_RETENTION_DAYS="7")
    assert created.returncode == 0, created.stderr
    kafka_dir = stack.state_dir / "kafka"
    # the state folder: traversable (postgres reaches its own pg/), never listable or readable
    assert stat.S_IMODE(stack.state_dir.stat().st_mode) == 0o711
    assert stat.S_IMODE((stack.state_dir / "secrets.env").stat().st_mode) == 0o600
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [kafka_dir, *kafka_dir.rglob("*")]}
    assert any(p.parent.name.startswith(TOPIC) for p in modes), "the topic's log files exist"
    loose = {str(p): oct(m) for p, m in modes.items() if m & 0o077}
    assert loose == {}
    assert {m for p, m in modes.items() if p.is_dir()} == {0o700}
    # retention: the topic's own (from MOTCUA_RAW_TOPIC_RETENTION_DAYS), the broker's default 30 days
    from ingestion.kafka_client import topic_retention_ms
    env_before = dict(os.environ)
    os.environ.update({k: v for k, v in stack.env.items() if k.startswith(("MOTCUA_", "KAFKA_"))})
    try:
        assert topic_retention_ms(stack.env["KAFKA_BOOTSTRAP_SERVERS"], TOPIC) == SEVEN_DAYS_MS
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    assert f"log.retention.ms={THIRTY_DAYS_MS}" in (kafka_dir / "server.properties").read_text().splitlines()


def test_sasl_clients_with_credentials_work_others_are_refused(stack):
    read_secrets(stack)   # the Kafka passwords kafka.sh generated
    assert stack.cli("topic", "--partitions", "3").returncode == 0
    producer = KafkaProducer(acks="all", **sasl(stack, "motcua-producer", "MOTCUA_KAFKA_PRODUCER_PASSWORD"))
    for key, value in received_messages(25, prefix="SASL"):
        producer.send(TOPIC, key=key, value=value)
    producer.flush()
    producer.close()

    loaded = stack.cli("consume", "--bounded", "--max-seconds", "60")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert stack.scalar("select count(*) from raw.case_events where case_id like %s", "SASL-%") == 25

    # no credentials at all: the SASL listener never lets the client in
    with pytest.raises(KafkaError):
        KafkaConsumer(TOPIC, bootstrap_servers=stack.env["KAFKA_BOOTSTRAP_SERVERS"], bootstrap_timeout_ms=5000)
    # a known user with a wrong password: authentication fails
    with pytest.raises(KafkaError):
        KafkaProducer(**sasl(stack, "motcua-producer", None))
    # authenticated, but no ACL: the producer may not read, the loader may not write
    spy = KafkaConsumer(TOPIC, group_id=GROUP, consumer_timeout_ms=5000,
                        **sasl(stack, "motcua-producer", "MOTCUA_KAFKA_PRODUCER_PASSWORD"))
    with pytest.raises(GroupAuthorizationFailedError):
        list(spy)
    spy.close()
    writer = KafkaProducer(max_block_ms=10_000, **sasl(stack, "motcua-loader", "MOTCUA_KAFKA_LOADER_PASSWORD"))
    with pytest.raises(KafkaError, match="AuthorizationFailed"):   # no WRITE on any topic: not even a producer id
        writer.send(TOPIC, b"forged").get(10)
    writer.close()


def test_the_staff_topic_is_granted_like_the_case_topic(stack):
    """`motcua ingest topic` creates both topics; the producer writes the staff topic, its loader
    (motcua-loader in the group motcua-staff-loader) reads it, and the roles are not swapped."""
    read_secrets(stack)
    created = stack.cli("topic", "--partitions", "2")
    assert created.returncode == 0, created.stderr
    assert f"topic {STAFF_TOPIC}:" in created.stdout
    producer = KafkaProducer(acks="all", **sasl(stack, "motcua-producer", "MOTCUA_KAFKA_PRODUCER_PASSWORD"))
    for key, value in assessed_messages(7, prefix="SASL"):
        producer.send(STAFF_TOPIC, key=key, value=value)
    producer.flush()
    producer.close()

    loaded = stack.cli("consume", "--contract", "staff", "--bounded", "--max-seconds", "60")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    assert stack.scalar("select count(*) from raw.staff_events where officer_id like %s", "SASL%") == 7

    spy = KafkaConsumer(STAFF_TOPIC, group_id=STAFF_GROUP, consumer_timeout_ms=5000,
                        **sasl(stack, "motcua-producer", "MOTCUA_KAFKA_PRODUCER_PASSWORD"))
    with pytest.raises(GroupAuthorizationFailedError):
        list(spy)
    spy.close()
    writer = KafkaProducer(max_block_ms=10_000, **sasl(stack, "motcua-loader", "MOTCUA_KAFKA_LOADER_PASSWORD"))
    with pytest.raises(KafkaError, match="AuthorizationFailed"):
        writer.send(STAFF_TOPIC, b"forged").get(10)
    writer.close()


def test_loader_without_credentials_is_refused(stack):
    env = {k: v for k, v in stack.env.items() if not k.startswith("MOTCUA_KAFKA_") or k == "MOTCUA_KAFKA_SASL"}
    secrets = Path(env["MOTCUA_STATE_DIR"]) / "secrets.env"
    kept = secrets.read_text()
    secrets.write_text("\n".join(line for line in kept.splitlines() if not line.startswith("MOTCUA_KAFKA_LOADER_")))
    try:
        result = PrivateStack(stack.state_dir, env).cli("consume", "--bounded", "--max-seconds", "20")
    finally:
        secrets.write_text(kept)
    assert result.returncode == 2
    assert "KAFKA_SASL_PASSWORD" in result.stderr


@pytest.mark.parametrize("variable, value", [("MOTCUA_RAW_TOPIC_RETENTION_DAYS", "0"),
                                             ("MOTCUA_RAW_TOPIC_RETENTION_DAYS", "forever"),
                                             ("KAFKA_SECURITY_PROTOCOL", "SASL_TEXT")])
def test_bad_kafka_settings_are_refused_in_one_line(services, variable, value):
    import subprocess
    import sys
    import uuid

    topic = f"test.{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": services.bootstrap_servers, variable: value}
    result = subprocess.run([sys.executable, "-m", "ingestion.cli", "--topic", topic, "topic"], env=env,
                            capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 2
    assert result.stderr.startswith("motcua-ingest: ") and variable in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Traceback" not in result.stderr
    from kafka.admin import KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=services.bootstrap_servers)
    try:
        assert topic not in admin.list_topics()
    finally:
        admin.close()
