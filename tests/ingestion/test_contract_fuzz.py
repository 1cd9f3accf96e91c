"""Contract fuzz: edge-of-schema messages among normal traffic, through the whole night.

Two nights, each: normal traffic from the generator interleaved with contract-valid edge cases
(tests/ingestion/contract_fuzz.py) -> the real loader -> raw gate -> staging gate -> dbt build ->
marts gate -> publish, called as the nightly DAG calls them (publish/steps.py), without Airflow's
start-up cost. Every night must publish, and every fuzz message must be in the figures or
listed with the reason its edge case states: whatever the loader accepts, every later layer handles.
"""
from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from kafka import KafkaProducer

from ingestion import db
from ingestion.generator.dump import read_jsonl
from ingestion.settings import PROJECT_ROOT
from publish import PublishRequest, publish, steps
from publish.provenance import git_commit
from tests.dbt.dbt_runner import BUILD_SCHEMA
from tests.ingestion.contract_fuzz import FIGURES, FuzzMessage, fuzz_messages

SEED = 20260302
NIGHTS = (date(2026, 2, 2), date(2026, 2, 3))
# Case events only: the normal traffic is interleaved into the case topic (the staff stream,
# on by default, has its own topic and loader).
GENERATOR = ["--seed", "11", "--start", "2026-02-02", "--days", "2", "--cases-per-day", "80",
             "--duplicates", "0.02", "--late", "0.1", "--no-staff"]
FUZZ_START = datetime(2026, 2, 2, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
FUZZ_CASES_PER_NIGHT = 45


@pytest.fixture()
def night_env(pg_db, make_topic, services, tmp_path, monkeypatch):
    topic = make_topic(2)
    for name, value in dict(
            PGDATABASE=pg_db, KAFKA_TOPIC=topic, KAFKA_BOOTSTRAP_SERVERS=services.bootstrap_servers,
            KAFKA_CONSUMER_GROUP="fuzz-loader", MOTCUA_BUILD_SCHEMA=BUILD_SCHEMA,
            MOTCUA_DBT_TARGET_PATH=str(tmp_path / "dbt_target"), MOTCUA_GX_GX_STATE_DIR=str(tmp_path / "gx"),
            MOTCUA_GX_DATA_DOCS_DIR=str(tmp_path / "data_docs")).items():
        monkeypatch.setenv(name, value)
    return topic


def normal_traffic(night: date, out: Path) -> list:
    proc = subprocess.run([sys.executable, "-m", "ingestion.generator", *GENERATOR, "--night", night.isoformat(),
                           "--dry-run", "--out", str(out), "--quiet", "--no-background"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return list(read_jsonl(out))


def produce_interleaved(bootstrap: str, topic: str, normal: list, fuzz: list[FuzzMessage], rng: random.Random) -> None:
    """Fuzz messages at random places in the normal stream; each case's own events in order."""
    slots = sorted(rng.randrange(len(normal) + 1) for _ in fuzz)
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_request_size=3 * 1024 * 1024)
    f = 0
    for i, message in enumerate([*normal, None]):
        while f < len(fuzz) and slots[f] == i:
            producer.send(topic, key=fuzz[f].case_id.encode(), value=fuzz[f].value)
            f += 1
        if message is not None:
            producer.send(topic, key=message.key, value=message.value)
    producer.flush()
    producer.close()


def run_night(day: date) -> dict:
    """The DAG's tasks in order, for the local date `day` (see dags/kpi_nightly.py)."""
    start, end = steps.night_window(None, None, datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")), {"night": day.isoformat()})
    as_of = end.isoformat()
    steps.ingest(120)
    verdicts = steps.gate(("raw",), day)
    steps.ensure_staging(as_of)
    verdicts.update(steps.gate(("staging",), day))
    build = steps.dbt_build(as_of)
    marts = steps.gate(("marts",), day)
    run = build
    result = publish(PublishRequest(
        run_id=f"fuzz-{day}-{datetime.now().timestamp()}", local_date=day, interval_start=start, interval_end=end,
        git_commit=git_commit(), dbt_invocation_id=run.invocation_id, built_at=run.generated_at,
        gate_summary={**verdicts, **marts, "dbt": build.as_json()}))
    return {"verdicts": {**verdicts, **marts}, "publication_id": result.publication_id}


def outcomes(dbname: str) -> dict[str, str]:
    """Where each loaded or refused event_id ended: figures, quarantine:<reason> or rejected:<reason>."""
    with db.connect("auditor", dbname) as conn:
        found = {str(e): FIGURES for (e,) in conn.execute("select event_id from staging.stg_motcua__case_events")}
        for e, reason in conn.execute("select event_id::text, rejection_reason from staging.stg_motcua__rejected_events"):
            found[e] = f"rejected:{reason}"
        for e, reason in conn.execute("select event_id, reason from raw.quarantine where event_id is not null"):
            found.setdefault(e, f"quarantine:{reason}")
    return found


def test_every_night_publishes_and_every_edge_event_is_counted_or_listed(night_env, pg_db, services, tmp_path):
    rng = random.Random(SEED)
    fuzz_all = fuzz_messages(SEED, 2 * FUZZ_CASES_PER_NIGHT, FUZZ_START)
    by_case: dict[str, list[FuzzMessage]] = {}
    for m in fuzz_all:
        by_case.setdefault(m.case_id, []).append(m)
    cases = list(by_case.values())
    sent: list[FuzzMessage] = []
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    expected_kinds = {m.expected.split(":")[0] for m in fuzz_all}
    assert expected_kinds == {"figures", "quarantine", "rejected"}, "the seed must exercise every outcome"

    for n, night in enumerate(NIGHTS):
        fuzz = [m for case in cases[n::2] for m in case]
        normal = normal_traffic(night, tmp_path / f"normal-{night}.jsonl")
        produce_interleaved(services.bootstrap_servers, night_env, normal, fuzz, rng)
        sent += fuzz

        night_result = run_night(today)   # the gate judges what arrived today: these messages

        assert all(v["passed"] for v in night_result["verdicts"].values()), night_result
        found = outcomes(pg_db)
        wrong = {m.event_id: (m.event_type, m.expected, found.get(m.event_id), m.edges)
                 for m in sent if found.get(m.event_id) != m.expected}
        assert not wrong, f"{len(wrong)} fuzz events not where their edge case says: {list(wrong.items())[:5]}"

    with db.connect("auditor", pg_db) as conn:
        # Both nights published; each accepted receipt is a case in the published fct_cases.
        assert conn.execute("select count(*) from audit.publications").fetchone()[0] == len(NIGHTS)
        published = {r[0] for r in conn.execute("select case_id from marts.fct_cases")}
        staged = {r[0] for r in conn.execute(
            "select distinct case_id from staging.stg_motcua__case_events where event_type = 'case.received'")}
        warnings = {r[0]: (r[1], r[2]) for r in conn.execute(
            "select expectation, unexpected_count, details"
            " from quality.validation_results v join quality.gate_runs g using (run_id)"
            " where g.layer = 'staging' and not v.success and v.severity = 'warning'"
            " and g.finished_at = (select max(finished_at) from quality.gate_runs where layer = 'staging')")}
        in_view = {r[0] for r in conn.execute("select event_id::text from staging.stg_motcua__rejected_events")}
    fuzz_receipts = {m.case_id for m in sent if m.event_type == "case.received" and m.expected == FIGURES}
    assert fuzz_receipts <= staged and fuzz_receipts <= published
    # The gate's report counts the rejected events and shows a sample with the reasons; the full
    # list is the view it names. All of them arrived today, so the last staging gate judged all.
    rejected = {m.event_id for m in sent if m.expected.startswith("rejected:")}
    count, sample = warnings["staging_rejected_events"]
    assert rejected and rejected <= in_view and count == len(in_view)
    assert {row["event_id"] for row in sample} <= in_view and all(row["rejection_reason"] for row in sample)
    assert "staging_events_attributed" in warnings
