"""Capture of the two topics: one loader process for both, or one process per topic?

    .venv/bin/python -m bench.capture_topics [--events 100000] [--repeat 3]

Fills bench.case-events.<N> (generated case events, shared with bench.ingest) and
bench.staff-events.<N> (N staff events: assessments, positions, exemptions), then loads both
into a fresh database, each variant started as a fresh Python process and timed from its start
to its exit (interpreter start-up included in both):
  (1) one process: both topics' loaders as two threads of one process (one GIL);
  (2) two processes: `motcua ingest consume --contract case|staff --bounded`, side by side
      (what `consume --all` and the compose file run).
Prints events/s (2N / wall time), the ratio (2)/(1), and the median of --repeat runs. A run
that does not finish within --max-seconds (a loader stuck, e.g. a consumer-group rejoin that
never completes) is counted as stalled and left out of the medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone

from bench.ingest import BENCH_DB, end_offsets, fill_topic, fresh_database
from ingestion import db
from ingestion.generator.lifecycle import new_event_id
from ingestion.generator.produce import make_producer
from ingestion.kafka_client import ensure_topic
from ingestion.settings import KafkaSettings

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def staff_events(n: int):
    """n staff events, mostly monthly assessments (as in production), keyed by officer or case."""
    import random

    rng = random.Random(20261130)
    start = datetime(2025, 2, 1, 9, tzinfo=timezone(timedelta(hours=7)))
    for i in range(n):
        officer = f"CB{i % 5000:05d}"
        at = (start + timedelta(minutes=i)).isoformat()
        envelope = {"event_id": new_event_id(rng), "schema_version": 1, "occurred_at": at, "source": "kpi.hanoi",
                    "agency_code": "SKHDT", "officer_id": officer}
        kind = i % 10
        if kind < 7:
            event = {**envelope, "event_type": "officer.assessed", "data": {
                "period": f"2025-{1 + i % 12:02d}", "assessor_id": "CB00001", "assessor_role": "manager",
                "criteria": [{"code": c, "points": rng.randint(6, 10)}
                             for c in ("compliance", "coordination", "service_attitude")]}}
        elif kind < 9:
            event = {**envelope, "event_type": "officer.positioned", "data": {
                "unit_code": "BPMC", "position_code": "TN-TKQ", "position_name": "Công chức tiếp nhận và trả kết quả",
                "position_group": "reception", "manager_id": "CB00001", "valid_from": "2025-01-01",
                "display_name": "Nguyễn Văn An"}}
        else:
            case_id = f"000.00.12.H25-250201-{i:06d}"
            officer = case_id
            event = {**envelope, "event_type": "case.exemption_granted", "data": {
                "case_id": case_id, "scope": "lateness", "decision_ref": f"{i}/QĐ-SKHDT",
                "reason_code": "system_outage", "reason_text": "Sự cố hệ thống một cửa điện tử"}}
        yield officer.encode(), json.dumps(event, ensure_ascii=False).encode()


def fill_staff_topic(bootstrap: str, topic: str, events: int) -> None:
    ensure_topic(bootstrap, topic, partitions=12)
    if sum(end_offsets(bootstrap, topic).values()) >= events:
        print(f"reusing {topic}")
        return
    print(f"filling {topic} with {events:,} staff events …", flush=True)
    producer = make_producer(bootstrap)
    for key, value in staff_events(events):
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def _one_process_worker(bootstrap: str, case_topic: str, staff_topic: str, tag: str, limit: float) -> None:
    """Both loaders in one process, one thread each (the alternative to one process per topic)."""
    from ingestion.consumer import RawLoader
    from ingestion.sink import RawSink
    from ingestion.topics import CASE, STAFF

    errors: list[BaseException] = []

    def run(topic: str, contract) -> None:
        group = f"bench-{contract.name}-{tag}"
        try:
            RawLoader(KafkaSettings(bootstrap, topic, group),
                      RawSink(db.conninfo("ingest", BENCH_DB), group, contract)).run(bounded=True, max_seconds=limit)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(case_topic, CASE)), threading.Thread(target=run, args=(staff_topic, STAFF))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def one_process(bootstrap: str, case_topic: str, staff_topic: str, limit: float) -> float | None:
    """Seconds to load both topics, or None when the process did not finish within `limit`."""
    fresh_database()
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bench.capture_topics", "--worker", case_topic, staff_topic,
                             uuid.uuid4().hex[:8], str(limit)], cwd=PROJECT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        print(f"  stalled or failed: {result.stderr.strip().splitlines()[-1:]}", flush=True)
        return None
    return elapsed


def two_processes(bootstrap: str, case_topic: str, staff_topic: str, limit: float) -> float | None:
    fresh_database()
    tag = uuid.uuid4().hex[:8]
    env = {**os.environ, "PGDATABASE": BENCH_DB, "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "ingestion.cli", "--topic", topic, "consume", "--contract",
                               contract, "--bounded", "--max-seconds", str(limit), "--group", f"bench-{contract}-{tag}"],
                              cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for topic, contract in ((case_topic, "case"), (staff_topic, "staff"))]
    outputs = [p.communicate()[1] for p in procs]
    elapsed = time.perf_counter() - started
    if any(p.returncode for p in procs):
        print(f"  stalled or failed: {[o.strip().splitlines()[-1:] for o in outputs]}", flush=True)
        return None
    return elapsed


def loaded_counts() -> tuple[int, int]:
    with db.connect("auditor", BENCH_DB) as conn:
        return (conn.execute("select count(*) from raw.case_events").fetchone()[0],
                conn.execute("select count(*) from raw.staff_events").fetchone()[0])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _one_process_worker(KafkaSettings.from_env().bootstrap_servers, *sys.argv[2:5], float(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="events per topic")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each variant, alternating; medians printed")
    parser.add_argument("--max-seconds", type=float, default=120, help="a run taking longer counts as stalled")
    args = parser.parse_args()
    bootstrap = KafkaSettings.from_env().bootstrap_servers
    case_topic, staff_topic = f"bench.case-events.{args.events}", f"bench.staff-events.{args.events}"
    fill_topic(bootstrap, case_topic, args.events)
    sys.stdout.flush()
    fill_staff_topic(bootstrap, staff_topic, args.events)
    total = sum(end_offsets(bootstrap, case_topic).values()) + sum(end_offsets(bootstrap, staff_topic).values())
    runs: dict[str, list[float]] = {"one": [], "two": []}
    stalls = {"one": 0, "two": 0}
    for i in range(args.repeat):
        for name, variant in (("one", one_process), ("two", two_processes)):
            seconds = variant(bootstrap, case_topic, staff_topic, args.max_seconds)
            if seconds is None:
                stalls[name] += 1
                print(f"run {i + 1}/{args.repeat} {name} process(es): not done within {args.max_seconds:g}s, "
                      f"loaded {loaded_counts()} of {total:,}", flush=True)
                continue
            assert sum(loaded_counts()) == total, f"{name}: loaded {loaded_counts()} of {total}"
            runs[name].append(total / seconds)
            print(f"run {i + 1}/{args.repeat} {name} process(es): {total:,} events in {seconds:.1f}s "
                  f"({total / seconds:,.0f}/s)", flush=True)
    one, two = (statistics.median(runs[k]) if runs[k] else float("nan") for k in ("one", "two"))
    print()
    print(f"{'variant (both topics, ' + format(total, ',') + ' events)':<52} {'events/s':>10} {'stalled':>8}")
    print(f"{'(1) one process, a loader thread per topic':<52} {one:>10,.0f} {stalls['one']:>5}/{args.repeat}")
    print(f"{'(2) one process per topic (consume --all)':<52} {two:>10,.0f} {stalls['two']:>5}/{args.repeat}")
    print(f"\n(2)/(1) = {two / one:.2f}   medians of the finished runs, on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
