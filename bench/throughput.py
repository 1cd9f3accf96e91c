"""Capture throughput side by side: the loader, Kafka Connect's JDBC sink, bare kafka-python, COPY.

    .venv/bin/python -m bench.throughput [--events 1000000] [--processes 2] [--connect-tasks 2]
                                         [--batch-size 5000] [--no-connect]

One topic of generated case events (12 partitions, named after its size, filled once and reused),
loaded in one session by:
(a) the project's loader (`motcua ingest consume --bounded --processes N`) into raw.case_events of
    a fresh database: validation, quarantine, redelivery accounting, positions in the same
    transaction as the rows (exactly once in effect);
(b) Kafka Connect standalone with Debezium's JDBC sink (jars from Maven Central, fetched into
    .local/connect/libs by bench/connect/pom.xml) into raw.case_events of another fresh database:
    the same table, keys and indexes. Connect delivers what it can without custom code: the
    message bytes (raw_value) and the Kafka coordinates (SMTs); PostgreSQL derives the rest
    (payload, hash, typed columns) in a BEFORE INSERT trigger. Upsert on the coordinates (so a
    redelivery after a crash is idempotent), batch.size = the loader's batch, the JDBC driver's
    reWriteBatchedInserts, tasks.max = the loader's processes; it connects as the owner role
    (an upsert needs UPDATE, which the loader's ingest role is never given);
(c) kafka-python iterating the messages, no parsing, no database: the Python client's ceiling;
(d) psql's \\copy of the very rows (a) loaded, from a file in COPY's binary format (the faster of
    its formats, and the one the loader sends), into raw.case_events of a fresh database: what
    PostgreSQL itself allows on this table, with nothing in front of it.
(a) and (b) are clocked alike: the row count of the table, polled every 0.2 s, from the first row
to the last (start-up, the interpreter's or the JVM's and the group join, is reported apart).
Prints events/s with each system's guarantees, the machine's CPU time per event and how many cores were
busy over each window, and the ratios loader ÷ Connect and loader ÷ COPY;
writes bench/results/throughput.json. The machine may be shared: compare ratios from one session.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict

from bench.ingest import bare_iteration, end_offsets, fill_topic
from ingestion.batch import COPY_COLUMNS
from motcua import db
from motcua.settings import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "throughput.json"
CONNECT_LIBS = Path(os.environ.get("MOTCUA_CONNECT_LIBS", ROOT / ".local" / "connect" / "libs"))
DB_LOADER, DB_CONNECT, DB_COPY = "motcua_bench_tp_loader", "motcua_bench_tp_connect", "motcua_bench_tp_copy"

GUARANTEES = {
    "loader": "exactly once in effect (rows + positions in one transaction), contract validation, "
              "quarantine, event_id dedupe with redelivery accounting, verbatim bytes + SHA-256",
    "connect": "at least once, upsert on the Kafka coordinates; no validation, no quarantine (a bad "
               "message stops the task), no event_id dedupe",
    "consume_only": "none: messages iterated, not parsed, not stored",
    "copy": "none beyond the table's constraints: a file, no Kafka, no validation",
}

# Connect has no code of ours: PostgreSQL derives what the loader computes in Python.
CONNECT_DERIVE = """
create or replace function raw.bench_from_bytes() returns trigger language plpgsql as $$
begin
    new.payload := convert_from(new.raw_value, 'UTF8')::jsonb;
    new.content_hash := sha256(new.raw_value);
    return new;
end $$;
create trigger a_bench_from_bytes before insert on raw.case_events
    for each row execute function raw.bench_from_bytes();
"""


def fresh_database(name: str) -> str:
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    db.migrate(name)
    return name


def drop_database(name: str) -> None:
    with db.connect("owner", "postgres", autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def count_rows(name: str) -> int:
    with psycopg.connect(db.conninfo("owner", name), autocommit=True) as conn:
        return conn.execute("select count(*) from raw.case_events").fetchone()[0]


# Rows stored so far, cheaply (12 probes of the coordinates' unique index, not a count of the
# table, which would take a core's share from the systems measured): every system writes each
# partition in offset order, from offset 0 of a fresh topic.
PROGRESS = """
select coalesce(sum((select max(kafka_offset) + 1 from raw.case_events e
                     where e.kafka_topic = %s and e.kafka_partition = p)), 0)
from generate_series(0, 11) as p
"""


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy since boot (/proc/stat: all but idle and iowait).

    Every system here spreads over several processes (loader and PostgreSQL backends, the JVM
    and PostgreSQL, psql and its backend, the broker for all): the machine's busy time over a
    system's window is its whole cost, and shows whether the cores were the limit.
    """
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_figures(events: int, seconds: float, busy: float) -> dict:
    return {"cpu_us_per_event": busy / events * 1e6, "cores_busy": busy / seconds}


def progress(conn: psycopg.Connection, topic: str) -> int:
    return int(conn.execute(PROGRESS, (topic,)).fetchone()[0])


def run_loader(settings: KafkaSettings, topic: str, events: int, processes: int, batch_size: int,
               workdir: Path, timeout: float) -> dict:
    fresh_database(DB_LOADER)
    env = dict(os.environ, PGDATABASE=DB_LOADER, KAFKA_TOPIC=topic,
               KAFKA_CONSUMER_GROUP=f"bench-tp-{uuid.uuid4().hex[:8]}",
               KAFKA_BOOTSTRAP_SERVERS=settings.bootstrap_servers)
    log = workdir / "loader.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ingestion.cli", "consume", "--bounded", "--processes",
                                 str(processes), "--batch-size", str(batch_size)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    try:
        window = watch(DB_LOADER, topic, events, proc, log, timeout, "the loader")
        code = proc.wait(timeout=120)
    finally:
        stop(proc)
    if code != 0:
        raise SystemExit(f"the loader failed (exit {code}):\n{log.read_text(errors='replace')[-3000:]}")
    breakdown = [line.split(": ", 1)[-1] for line in log.read_text(errors="replace").splitlines()
                 if "time in fetch" in line and " done: " in line]
    return {**window, "processes": processes, "batch_size": batch_size, "per_process": breakdown}


def watch(dbname: str, topic: str, events: int, proc: subprocess.Popen, log: Path, timeout: float, who: str) -> dict:
    """Poll the table's row count: the same clock for every system, from its first row to its last.

    Start-up (interpreter or JVM, group join) is left out; it is reported apart.
    """
    launched = time.perf_counter()
    first = None
    seen = 0
    with psycopg.connect(db.conninfo("owner", dbname), autocommit=True) as conn:
        while seen < events:
            if proc.poll() is not None and proc.returncode != 0:
                raise SystemExit(f"{who} exited ({proc.returncode}); see {log}:\n"
                                 + log.read_text(errors="replace")[-3000:])
            if time.perf_counter() - launched > timeout:
                raise SystemExit(f"{who} stored {seen} of {events} rows in {timeout:.0f}s; see {log}")
            time.sleep(0.2)
            seen = progress(conn, topic)
            if seen and first is None:
                first = time.perf_counter()
                busy_at_first = busy_cpu_seconds()
    done = time.perf_counter()
    busy = busy_cpu_seconds() - busy_at_first
    seen = count_rows(dbname)
    if seen != events:
        raise SystemExit(f"{who} stored {seen} rows, expected {events}")
    return {"events_per_s": events / (done - first), "seconds": done - first, "startup_seconds": first - launched,
            **cpu_figures(events, done - first, busy),
            "rows": seen}


def run_copy(events: int, workdir: Path) -> dict:
    """Export the rows the loader stored, then \\copy them into a fresh table of the same shape."""
    columns = COPY_COLUMNS
    data = workdir / "rows.copy"
    with psycopg.connect(db.conninfo("owner", DB_LOADER)) as conn, data.open("wb") as out:
        with conn.cursor().copy(f"copy (select {columns[1:-1]} from raw.case_events"
                                " order by kafka_partition, kafka_offset) to stdout (format binary)") as copy:
            for chunk in copy:
                out.write(chunk)
    fresh_database(DB_COPY)
    started, busy_before = time.perf_counter(), busy_cpu_seconds()
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", db.conninfo("ingest", DB_COPY), "-c",
                    f"\\copy raw.case_events {columns} from '{data}' (format binary)"], check=True)
    elapsed = time.perf_counter() - started
    busy = busy_cpu_seconds() - busy_before
    stored = count_rows(DB_COPY)
    if stored != events:
        raise SystemExit(f"\\copy stored {stored} rows, expected {events}")
    return {"events_per_s": events / elapsed, "seconds": elapsed, "rows": stored, **cpu_figures(events, elapsed, busy),
            "file_bytes": data.stat().st_size}


def fetch_connect_jars() -> str | None:
    """None when the jars are there (fetched now if needed), else why not."""
    if (CONNECT_LIBS / "connect-runtime-4.4.0.jar").exists() and any(CONNECT_LIBS.glob("debezium-connector-jdbc-*.jar")):
        return None
    if shutil.which("mvn") is None or shutil.which("java") is None:
        return "Maven or Java is missing (make setup installs both)"
    CONNECT_LIBS.mkdir(parents=True, exist_ok=True)
    print(f"fetching Kafka Connect and Debezium's JDBC sink from Maven Central into {CONNECT_LIBS} …", flush=True)
    got = subprocess.run(["mvn", "-q", "-B", "-f", str(ROOT / "bench" / "connect" / "pom.xml"),
                          "dependency:copy-dependencies", f"-DoutputDirectory={CONNECT_LIBS}",
                          "-DincludeScope=runtime"], capture_output=True, text=True)
    if got.returncode != 0:
        return "Maven could not fetch the Connect jars: " + got.stdout[-500:]
    return None


def connect_properties(settings: KafkaSettings, topic: str, workdir: Path, tasks: int, batch_size: int) -> tuple[Path, Path]:
    params = conninfo_to_dict(db.conninfo("owner", DB_CONNECT))
    worker = workdir / "worker.properties"
    worker.write_text("\n".join([
        f"bootstrap.servers={settings.bootstrap_servers}",
        "key.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
        "value.converter=org.apache.kafka.connect.converters.ByteArrayConverter",
        f"offset.storage.file.filename={workdir / 'connect.offsets'}",
        "offset.flush.interval.ms=10000",
        "listeners=http://127.0.0.1:0",
        "consumer.auto.offset.reset=earliest",
        f"consumer.max.poll.records={batch_size}",
        "consumer.fetch.max.bytes=67108864",
        "consumer.max.partition.fetch.bytes=4194304",
    ]) + "\n")
    url = (f"jdbc:postgresql://{params.get('host', '127.0.0.1')}:{params.get('port', '5432')}/{DB_CONNECT}"
           "?reWriteBatchedInserts=true")
    sink = workdir / "jdbc-sink.properties"
    sink.write_text("\n".join([
        f"name=bench-jdbc-sink-{uuid.uuid4().hex[:8]}",  # its consumer group: a fresh one each run
        "connector.class=io.debezium.connector.jdbc.JdbcSinkConnector",
        f"tasks.max={tasks}",
        f"topics={topic}",
        f"connection.url={url}",
        f"connection.username={params['user']}",
        f"connection.password={params.get('password', '')}",
        "insert.mode=upsert",
        "primary.key.mode=record_value",
        "primary.key.fields=kafka_topic,kafka_partition,kafka_offset",
        "schema.evolution=none",
        "collection.name.format=raw.case_events",
        f"batch.size={batch_size}",
        "transforms=bytes,coords",
        "transforms.bytes.type=org.apache.kafka.connect.transforms.HoistField$Value",
        "transforms.bytes.field=raw_value",
        "transforms.coords.type=org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.coords.topic.field=kafka_topic",
        "transforms.coords.partition.field=kafka_partition",
        "transforms.coords.offset.field=kafka_offset",
    ]) + "\n")
    return worker, sink


def run_connect(settings: KafkaSettings, topic: str, events: int, tasks: int, batch_size: int,
                workdir: Path, timeout: float) -> dict:
    why = fetch_connect_jars()
    if why:
        return {"unavailable": why}
    fresh_database(DB_CONNECT)
    with psycopg.connect(db.conninfo("owner", DB_CONNECT), autocommit=True) as conn:
        conn.execute(CONNECT_DERIVE)
    worker, sink = connect_properties(settings, topic, workdir, tasks, batch_size)
    log = workdir / "connect.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["java", "-Xms256m", "-Xmx1g", "-XX:+UseG1GC", "-Djava.awt.headless=true",
             f"-Dlog4j2.configurationFile={ROOT / 'services' / 'log4j2.properties'}",
             "-cp", f"{CONNECT_LIBS}/*", "org.apache.kafka.connect.cli.ConnectStandalone", str(worker), str(sink)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        window = watch(DB_CONNECT, topic, events, proc, log, timeout, "Kafka Connect")
    finally:
        stop(proc)
    return {**window, "tasks": tasks, "batch_size": batch_size}


def stop(proc: subprocess.Popen) -> None:
    """End the Connect worker this script started (its own process group), politely first."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="topic size (default 1,000,000)")
    parser.add_argument("--processes", type=int, default=2, help="loader processes in the group (default 2)")
    parser.add_argument("--connect-tasks", type=int, help="Connect sink tasks (default: --processes)")
    parser.add_argument("--batch-size", type=int, default=5000, help="records per batch, for both (default 5000)")
    parser.add_argument("--no-connect", action="store_true", help="leave Kafka Connect out")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds the loader or Connect may take")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.ERROR)  # its event-loop timing notes, under load
    settings = KafkaSettings.from_env()
    topic = f"bench.case-events.{args.events}"
    fill_topic(settings.bootstrap_servers, topic, args.events)
    events = sum(end_offsets(settings.bootstrap_servers, topic).values())
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="motcua-throughput-") as tmp:
        workdir = Path(tmp)
        print("(c) kafka-python, consume only …", flush=True)
        started, busy_before = time.perf_counter(), busy_cpu_seconds()
        rate = bare_iteration(settings.bootstrap_servers, topic, events)
        results["consume_only"] = {"events_per_s": rate, **cpu_figures(events, time.perf_counter() - started,
                                                                       busy_cpu_seconds() - busy_before)}
        print(f"(a) the loader, {args.processes} process(es) …", flush=True)
        results["loader"] = run_loader(settings, topic, events, args.processes, args.batch_size, workdir,
                                       args.timeout)
        print("(d) \\copy of the same rows from a file …", flush=True)
        results["copy"] = run_copy(events, workdir)
        if args.no_connect:
            results["connect"] = {"unavailable": "left out (--no-connect)"}
        else:
            print("(b) Kafka Connect standalone + Debezium JDBC sink …", flush=True)
            results["connect"] = run_connect(settings, topic, events, args.connect_tasks or args.processes,
                                             args.batch_size, workdir, args.timeout)
    if not args.keep:
        for name in (DB_LOADER, DB_CONNECT, DB_COPY):
            drop_database(name)

    loader = results["loader"]["events_per_s"]
    ratios = {"loader_vs_copy": loader / results["copy"]["events_per_s"]}
    if "events_per_s" in results["connect"]:
        ratios["loader_vs_connect"] = loader / results["connect"]["events_per_s"]
    labels = {"loader": "(a) loader → raw.case_events", "connect": "(b) Kafka Connect + Debezium JDBC sink",
              "consume_only": "(c) kafka-python, consume only", "copy": "(d) \\copy from a file (binary)"}
    print(f"\n{events:,} events, topic {topic} (12 partitions); machine: {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'system':<42} {'events/s':>10} {'CPU µs/event':>13} {'cores busy':>11}  guarantees")
    for key in ("loader", "connect", "consume_only", "copy"):
        r = results[key]
        if "events_per_s" in r:
            figure = f"{r['events_per_s']:>10,.0f} {r['cpu_us_per_event']:>13.1f} {r['cores_busy']:>11.2f}"
        else:
            figure = f"{'—':>10} {'':>13} {'':>11}"
        note = GUARANTEES[key] if "events_per_s" in r else r["unavailable"]
        print(f"{labels[key]:<42} {figure}  {note}")
    print()
    if "loader_vs_connect" in ratios:
        print(f"loader ÷ Connect    = {ratios['loader_vs_connect']:.2f}   (aim ≥ 1.5)")
    print(f"loader ÷ COPY limit = {ratios['loader_vs_copy']:.2f}   (aim ≥ 0.6)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"events": events, "topic": topic, "partitions": 12,
                                   "load_average_1m": os.getloadavg()[0], "results": results, "ratios": ratios,
                                   "guarantees": GUARANTEES}, indent=2, default=str) + "\n")
    print(f"written {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
