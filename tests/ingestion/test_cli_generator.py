"""python -m ingestion.generator: bad arguments, an unreachable broker, SIGTERM while producing."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
from kafka import KafkaConsumer, TopicPartition

from ingestion.generator.__main__ import main
from tests.ingestion.cli_relay import closed_port
from tests.ingestion.private_stack import wait_until
from tests.motcua.usage import assert_one_line_error

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BAD = [
    (["--days", "0"], "argument --days: must be at least 1, got 0"),
    (["--days", "-3"], "argument --days: must be at least 1, got -3"),
    (["--cases-per-day", "-1"], "argument --cases-per-day: must be 0 or more"),
    (["--seed", "x"], "argument --seed: expected an integer, got 'x'"),
    (["--start", "2026-02-30"], "argument --start: expected a date YYYY-MM-DD, got '2026-02-30'"),
    (["--start", ""], "argument --start: expected a date YYYY-MM-DD, got ''"),
    (["--night", "tomorrow"], "argument --night: expected a date YYYY-MM-DD"),
    (["--night", "2026-01-06", "--through", "2026-01-07"], "--night and --through are exclusive"),
    (["--duplicates", "1.5"], "argument --duplicates: must be a share between 0 and 1"),
    (["--late", "-0.1"], "argument --late: must be a share between 0 and 1"),
    (["--malformed", "lots"], "argument --malformed: expected a number, got 'lots'"),
    (["--fault", "wrong_type"], "argument --fault: expected NAME=RATE, got 'wrong_type'"),
    (["--fault", "=0.1"], "argument --fault: expected NAME=RATE"),
    (["--fault", "wrong_type=2"], "argument --fault: must be a share between 0 and 1"),
    (["--fault", "no_such_fault=0.1"], "unknown fault names"),
    (["--agencies", "NOPE"], "NOPE"),
    (["--limit", "0"], "argument --limit: must be at least 1"),
    (["--topic", ""], "argument --topic: must not be empty"),
    (["--topic", "bad topic"], "'bad topic' is not a Kafka name"),
    (["--bootstrap-servers", ""], "argument --bootstrap-servers: must not be empty"),
    (["--partitions", "-1"], "argument --partitions: must be at least 1, got -1"),
    (["--connect-timeout", "-2"], "argument --connect-timeout: must be a positive number"),
    (["--out", ""], "argument --out: must not be empty"),
]


@pytest.mark.parametrize("argv, expected", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_argument_is_one_line_and_exit_2(argv, expected, capsys):
    assert_one_line_error(main, argv, capsys, expected)


def generator(*args: str) -> list[str]:
    return [sys.executable, "-m", "ingestion.generator", *args]


def test_kafka_down_is_one_line_and_exit_2(services):
    port = closed_port()
    env = {**os.environ, "KAFKA_CONNECT_TIMEOUT_SECONDS": "2"}
    result = subprocess.run(generator("--days", "2", "--bootstrap-servers", f"127.0.0.1:{port}"), env=env,
                            capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"python -m ingestion.generator: broker at 127.0.0.1:{port} is unreachable (no answer within 2s); start the "
        "services with 'make up', check them with 'make status', or set KAFKA_BOOTSTRAP_SERVERS (or "
        "--bootstrap-servers) to a running broker"]


def _produced(bootstrap: str, topic: str) -> int:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum(consumer.end_offsets(parts).values()) if parts else 0
    finally:
        consumer.close()


def test_sigterm_while_producing_flushes_and_prints_the_summary(services, make_topic):
    topic = make_topic(partitions=2)
    # A year of a busy province: far more than the few seconds before the signal.
    proc = subprocess.Popen(generator("--days", "365", "--cases-per-day", "3000", "--topic", topic,
                                      "--bootstrap-servers", services.bootstrap_servers, "--quiet"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        wait_until(lambda: _produced(services.bootstrap_servers, topic) > 1000, 60, "messages on the topic")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    assert proc.returncode == 2, err
    assert "Traceback" not in err
    summary = json.loads(out)
    assert summary["stopped"] == "SIGTERM"
    # Every message the summary counts reached the broker, and nothing more.
    assert summary["messages"] == _produced(services.bootstrap_servers, topic)
    assert err.splitlines() == [
        f"python -m ingestion.generator: stopped by SIGTERM after {summary['messages']} messages (all delivered); "
        "the summary above counts what was sent (a rerun sends the whole stream again; the loader stores repeats "
        "as redeliveries)"]
