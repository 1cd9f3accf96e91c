"""motcua-ingest refuses bad arguments in one line, exit 2, before touching any service."""
from __future__ import annotations

import pytest

from ingestion.cli import main
from tests.motcua.usage import assert_one_line_error

BAD = [
    (["--topic", "", "consume"], "argument --topic: must not be empty"),
    (["--topic", "   ", "reconcile"], "argument --topic: must not be empty"),
    (["--topic", "a/b", "consume"], "'a/b' is not a Kafka name"),
    (["--bootstrap-servers", "", "consume"], "argument --bootstrap-servers: must not be empty"),
    (["--bootstrap-servers", "localhost", "consume"], "expected HOST:PORT"),
    (["--bootstrap-servers", "localhost:99999", "topic"], "expected HOST:PORT"),
    (["--connect-timeout", "0", "consume"], "argument --connect-timeout: must be a positive number"),
    (["--connect-timeout", "soon", "consume"], "expected a number, got 'soon'"),
    (["topic", "--partitions", "-1"], "argument --partitions: must be at least 1, got -1"),
    (["topic", "--partitions", "0"], "argument --partitions: must be at least 1, got 0"),
    (["topic", "--partitions", "twelve"], "expected an integer, got 'twelve'"),
    (["consume", "--group", ""], "argument --group: must not be empty"),
    (["consume", "--group", "a b"], "'a b' is not a Kafka name"),
    (["consume", "--batch-size", "0"], "argument --batch-size: must be at least 1"),
    (["consume", "--batch-size", "-5"], "argument --batch-size: must be at least 1"),
    (["consume", "--bounded", "--max-seconds", "-1"], "argument --max-seconds: must be a positive number"),
    (["consume", "--bounded", "--max-seconds", "nan"], "argument --max-seconds: must be a positive number"),
    (["consume", "--max-seconds", "30"], "--max-seconds applies to --bounded only"),
    (["consume", "--future-tolerance-minutes", "-1"], "must be 0 or more"),
    (["reconcile", "--group", ""], "argument --group: must not be empty"),
    (["nosuch"], "invalid choice: 'nosuch'"),
    ([], "the following arguments are required: {migrate,topic,consume,reconcile}"),
    (["consume", "--unknown"], "unrecognized arguments: --unknown"),
]


@pytest.mark.parametrize("argv, expected", BAD, ids=[" ".join(a) or "no-args" for a, _ in BAD])
def test_bad_argument_is_one_line_and_exit_2(argv, expected, capsys):
    assert_one_line_error(main, argv, capsys, expected)


@pytest.mark.parametrize("name, value, expected", [
    ("KAFKA_TOPIC", "", "environment variable KAFKA_TOPIC='': must not be empty"),
    ("KAFKA_CONSUMER_GROUP", " ", "environment variable KAFKA_CONSUMER_GROUP=' ': must not be empty"),
    ("KAFKA_BOOTSTRAP_SERVERS", "broker", "environment variable KAFKA_BOOTSTRAP_SERVERS='broker': expected HOST:PORT"),
])
def test_an_empty_or_bad_environment_value_is_an_error_not_the_production_default(name, value, expected,
                                                                                  monkeypatch, capsys):
    # `--topic ""` and KAFKA_TOPIC="" used to fall back silently to motcua.case-events.
    monkeypatch.setenv(name, value)
    line = assert_one_line_error(main, ["consume", "--bounded"], capsys, expected)
    assert f"unset {name}" in line


def test_a_bad_connect_timeout_in_the_environment_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("KAFKA_CONNECT_TIMEOUT_SECONDS", "-3")
    assert_one_line_error(main, ["reconcile"], capsys, "KAFKA_CONNECT_TIMEOUT_SECONDS='-3' is not a positive number")
