"""motcua-ingest against unreachable services and signals, as real processes.

Nothing shared is stopped: "Kafka down" and "PostgreSQL down" are a closed local port, and
"PostgreSQL gone mid-run" is a relay in front of the real database that stops forwarding.
Each command must end within a bound (the subprocess timeout) with ONE line and exit 2, or stop
cleanly on SIGTERM with its summary.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from ingestion import db
from tests.ingestion.cli_relay import Relay, closed_port
from tests.ingestion.events import produce, received_messages
from tests.ingestion.private_stack import wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli(env: dict, *args: str, timeout: float) -> subprocess.CompletedProcess:
    # timeout is the bound under test: TimeoutExpired fails the test
    return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


def start(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ingestion.cli", *args], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def count(pg_db: str, table: str) -> int:
    with db.connect("auditor", pg_db) as conn:
        return conn.execute(f"select count(*) from {table}").fetchone()[0]


@pytest.mark.parametrize("args", [("consume", "--bounded", "--max-seconds", "30"), ("reconcile",), ("topic",)])
def test_kafka_down_is_one_line_and_exit_2_within_the_connect_timeout(args, env_for):
    port = closed_port()
    env = {**env_for(KAFKA_CONNECT_TIMEOUT_SECONDS="2"), "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"}

    result = cli(env, *args, timeout=20)  # kafka-python alone waits 30 s and logs ~27 refusals

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert lines(result.stderr) == [
        f"motcua-ingest: broker at 127.0.0.1:{port} is unreachable (no answer within 2s); start the services "
        "with 'make up', check them with 'make status', or set KAFKA_BOOTSTRAP_SERVERS (or --bootstrap-servers) "
        "to a running broker"]


def test_the_connect_timeout_option_wins_over_the_environment(env_for):
    port = closed_port()
    env = {**env_for(KAFKA_CONNECT_TIMEOUT_SECONDS="60"), "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{port}"}
    result = cli(env, "--connect-timeout", "1", "reconcile", timeout=20)
    assert result.returncode == 2
    assert "(no answer within 1s)" in result.stderr


@pytest.mark.parametrize("args", [("consume", "--bounded", "--max-seconds", "30"), ("consume",), ("reconcile",),
                                  ("migrate",)])
def test_postgresql_down_at_start_is_one_line_and_exit_2(args, env_for):
    port = closed_port()
    result = cli(env_for(PGPORT=str(port)), *args, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = lines(result.stderr)
    assert line.startswith(f"motcua-ingest: PostgreSQL at 127.0.0.1:{port} is unreachable: ")
    assert line.endswith("; start the services with 'make up', check them with 'make status', "
                         "or set PGHOST/PGPORT/PGDATABASE")


def test_the_time_limit_holds_while_postgresql_is_gone(env_for, pg_db, make_topic, services):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, received_messages(5))
    # The loader's first connection (the start-up check) gets through, every later one is refused:
    # the first write fails and the loader is left retrying a database that does not come back.
    relay = Relay(int(os.environ.get("PGPORT", "25432")), allow=1)
    try:
        result = cli(env_for(PGPORT=str(relay.port)), "--topic", topic, "consume", "--bounded", "--max-seconds", "6",
                     timeout=40)  # before: retried every 2 s for ever, --max-seconds never checked
    finally:
        relay.close()

    assert relay.accepted >= 2  # it did try again
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    last = lines(result.stderr)[-1]
    assert last.startswith("motcua-ingest: did not reach the end offsets within 6s (PostgreSQL unavailable")
    assert last.endswith("run it again (loading resumes from the stored positions), or raise --max-seconds")
    assert count(pg_db, "raw.case_events") == 0


def test_sigterm_stops_a_continuous_consume_with_its_summary(env_for, pg_db, make_topic, services):
    topic = make_topic(partitions=2)
    produce(services.bootstrap_servers, topic, received_messages(40))
    proc = start(env_for(), "--topic", topic, "consume")
    try:
        wait_until(lambda: count(pg_db, "raw.case_events") == 40, 60, "the 40 events loaded")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "stop requested (SIGTERM)" in err
    assert out.startswith("40 messages in ")
    assert "loaded 40, redeliveries 0, quarantined 0" in out


def test_sigterm_stops_a_consume_that_is_waiting_for_postgresql(env_for, pg_db, make_topic, services):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, received_messages(3))
    relay = Relay(int(os.environ.get("PGPORT", "25432")), allow=1)
    proc = start(env_for(PGPORT=str(relay.port)), "--topic", topic, "consume")
    try:
        wait_until(lambda: relay.accepted >= 3, 60, "the loader retrying its connection")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        relay.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "PostgreSQL unavailable" in err
    assert out.startswith("0 messages in ")
    assert count(pg_db, "raw.case_events") == 0


def test_a_second_consumer_group_is_refused_instead_of_crashing_on_the_quarantine(env_for, pg_db, make_topic,
                                                                                   services):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, received_messages(4) + [(b"k", b"not json")])
    env = env_for()
    first = cli(env, "--topic", topic, "consume", "--bounded", "--max-seconds", "60", timeout=120)
    assert first.returncode == 0, first.stderr
    assert (count(pg_db, "raw.case_events"), count(pg_db, "raw.quarantine")) == (4, 1)

    second = cli(env, "--topic", topic, "consume", "--bounded", "--group", "another-loader", timeout=60)

    assert second.returncode == 2, second.stderr
    assert "Traceback" not in second.stderr
    [line] = lines(second.stderr)
    assert line.startswith(f"motcua-ingest: topic '{topic}' is loaded into this database by consumer group "
                           "'motcua-raw-loader', not 'another-loader'; ")
    assert "use that group (--group or KAFKA_CONSUMER_GROUP)" in line
    assert (count(pg_db, "raw.case_events"), count(pg_db, "raw.quarantine")) == (4, 1)
    refused = cli(env, "--topic", topic, "reconcile", "--group", "another-loader", timeout=60)
    assert refused.returncode == 2 and len(lines(refused.stderr)) == 1
    ok = cli(env, "--topic", topic, "reconcile", timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok: produced = loaded + redeliveries + quarantined" in ok.stdout


def test_the_time_limit_holds_while_a_write_waits_on_a_lock(env_for, pg_db, make_topic, services):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, received_messages(3))
    env = env_for()
    assert cli(env, "--topic", topic, "consume", "--bounded", timeout=120).returncode == 0
    produce(services.bootstrap_servers, topic, received_messages(3, prefix="D"))
    # Another session holds the partition's position row: the loader's write waits on the lock.
    with db.connect("owner", pg_db) as blocker:
        blocker.execute("select * from raw.consumer_positions for update")
        result = cli(env, "--topic", topic, "consume", "--bounded", "--max-seconds", "10", timeout=45)
        blocker.rollback()

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert lines(result.stderr)[-1].startswith(
        "motcua-ingest: did not reach the end offsets within 10s (writing a batch)")
    assert count(pg_db, "raw.case_events") == 3  # the cancelled write left nothing behind
    assert cli(env, "--topic", topic, "consume", "--bounded", timeout=120).returncode == 0
    assert count(pg_db, "raw.case_events") == 6


# How the nightly task runs the loader (publish.steps._run), with a SIGTERM handler that raises,
# as Airflow's task runner has: the stop must reach the loader instead of waiting for it.
TASK = """
import signal, sys
from publish import steps
def stop(signum, frame):
    raise SystemExit("task terminated")
signal.signal(signal.SIGTERM, stop)
steps._run([sys.executable, "-m", "ingestion.cli", "--topic", sys.argv[1], "consume"], cwd=steps.PROJECT_ROOT,
           timeout=600)
"""


def test_sigterm_to_the_nightly_task_stops_the_loader_it_runs(env_for, pg_db, make_topic, services):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, received_messages(5))
    task = subprocess.Popen([sys.executable, "-c", TASK, topic], env=env_for(), cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    loader = None
    try:
        wait_until(lambda: count(pg_db, "raw.case_events") == 5, 60, "the loader to load the 5 events")
        with open(f"/proc/{task.pid}/task/{task.pid}/children") as f:
            [loader] = [int(pid) for pid in f.read().split()]
        task.send_signal(signal.SIGTERM)
        out, _ = task.communicate(timeout=30)  # before: waited for the continuous loader for ever
        loader_left = os.path.exists(f"/proc/{loader}")
    finally:
        if task.poll() is None:
            task.kill()
            task.communicate()
        if loader is not None and os.path.exists(f"/proc/{loader}"):
            os.kill(loader, signal.SIGKILL)  # only when the test failed: leave no orphan behind

    assert "task terminated" in out
    assert not loader_left  # stopped and reaped, not orphaned


def test_sigterm_stops_a_consume_whose_write_waits_on_a_lock(env_for, pg_db, make_topic, services):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, received_messages(2))
    env = env_for()
    assert cli(env, "--topic", topic, "consume", "--bounded", timeout=120).returncode == 0
    produce(services.bootstrap_servers, topic, received_messages(2, prefix="W"))
    with db.connect("owner", pg_db) as blocker:
        blocker.execute("select * from raw.consumer_positions for update")
        proc = start(env, "--topic", topic, "consume")
        try:
            wait_until(lambda: blocker.execute("select count(*) from pg_locks where not granted").fetchone()[0] > 0,
                       60, "the loader's write to wait for the lock")
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)  # the write in hand gets 10 s, then it is cancelled
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        blocker.rollback()

    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert "stop requested (SIGTERM)" in err
    assert out.startswith("0 messages in ")
    assert count(pg_db, "raw.case_events") == 2


def test_sigterm_stops_a_bounded_consume_with_its_summary_and_exit_2(env_for, pg_db, make_topic, services):
    topic = make_topic(partitions=1)
    produce(services.bootstrap_servers, topic, received_messages(3))
    relay = Relay(int(os.environ.get("PGPORT", "25432")), allow=1)
    proc = start(env_for(PGPORT=str(relay.port)), "--topic", topic, "consume", "--bounded")
    try:
        wait_until(lambda: relay.accepted >= 3, 60, "the loader retrying its connection")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    finally:
        relay.close()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    # The end offsets were not reached: not a success, and the operator is told to run it again.
    assert proc.returncode == 2, err
    assert "Traceback" not in err
    assert out.startswith("0 messages in ")
    assert lines(err)[-1].startswith("motcua-ingest: stopped by SIGTERM while PostgreSQL unavailable")
    assert lines(err)[-1].endswith("; run it again: loading resumes from the stored positions")
