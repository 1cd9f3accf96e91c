"""Seeded random cases aimed at the SLA clock's edges, and a loader for the project's generator.

`edge_cases(seed, n)` draws cases the realistic generator rarely makes: receipts on period
boundaries (08:00, 12:00, 13:00, 17:00), at and around a 15:00 cut-off, on weekends and
holidays (Tết 2026, 30/4-1/5, the make-up Saturday 22/8 and 2/9), both pause policies
(procedure VIDU.000001 restarts, the others pause), the agency calendar of VIDU, several
returns (some at one instant under two event ids, some after the deadline or after the case
closed, some never resubmitted), duplicated receipts and completions under new event ids,
withdrawals before and after the result, extensions, ratings and complaints. `load(...)` puts
events into raw as the loader would, in shuffled order, with redeliveries of some event ids.
"""
from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import psycopg

from ingestion.generator import EXPECTED_REASON, FaultRates, GeneratorConfig, generate
from workcal import VN_TZ, default_calendar

PROCEDURES = (("1.001612", "Đăng ký thành lập doanh nghiệp"), ("VIDU.000001", "Thủ tục ví dụ (restart)"),
              ("2.000815", "Cấp bản sao trích lục hộ tịch"))
AGENCIES = ("SKHDT", "STP", "VIDU")
HOT_DAYS = (date(2026, 2, 12), date(2026, 2, 13), date(2026, 2, 14), date(2026, 2, 23), date(2026, 4, 24),
            date(2026, 4, 28), date(2026, 4, 29), date(2026, 4, 30), date(2026, 5, 4), date(2026, 8, 20),
            date(2026, 8, 21), date(2026, 8, 22), date(2026, 8, 28), date(2026, 8, 31), date(2026, 9, 1),
            date(2026, 3, 6), date(2026, 6, 30), date(2026, 12, 31))
HOT_TIMES = (time(8), time(12), time(13), time(17), time(15), time(14, 59, 59), time(7, 30), time(17, 20),
             time(12, 30), time(16, 59), time(23, 59, 59), time(0, 0))
AS_OF = "2027-01-15T00:00:00+07:00"


def _instant(rng: random.Random, day: date) -> datetime:
    at = rng.choice(HOT_TIMES) if rng.random() < 0.45 else time(rng.randrange(6, 19), rng.randrange(60), rng.randrange(60))
    return datetime.combine(day, at, tzinfo=VN_TZ)


def _later(rng: random.Random, after: datetime, max_days: int = 12) -> datetime:
    day = after.date() + timedelta(days=rng.randrange(0, max_days + 1))
    moment = _instant(rng, day)
    return moment if moment >= after else after + timedelta(minutes=rng.randrange(1, 600))


def _event(case_id: str, agency: str, kind: str, at: datetime, officer: str | None, data: dict | None = None,
           event_id: str | None = None) -> dict:
    event = {"event_id": event_id or str(uuid.UUID(int=random.getrandbits(128), version=4)), "event_type": kind,
             "schema_version": 1, "occurred_at": at.isoformat(), "source": "test", "case_id": case_id,
             "agency_code": agency, "officer_id": officer}
    if data is not None:
        event["data"] = data
    return event


def edge_cases(seed: int, n: int) -> list[dict]:
    rng = random.Random(seed)
    random.seed(seed)  # event ids (random.getrandbits) are seeded too
    cal = default_calendar()
    events: list[dict] = []
    for i in range(n):
        agency = rng.choice(AGENCIES)
        code, name = rng.choice(PROCEDURES)
        case_id = f"E{seed}-{i:05d}"
        desk, handler, other = f"{agency[:2]}D{rng.randrange(3)}", f"{agency[:2]}H{rng.randrange(4)}", f"{agency[:2]}H9"
        day = rng.choice(HOT_DAYS) if rng.random() < 0.6 else date(2026, 1, 2) + timedelta(days=rng.randrange(330))
        received = _instant(rng, day)
        days = rng.choice((0.5, 1, 1, 2, 3, 5, 10))
        due = cal.add_working_days(received, days)
        roll = rng.random()
        if roll < 0.15:
            due = due + timedelta(days=rng.choice((1, 2, 7)))          # beyond the law
        elif roll < 0.25:
            due = datetime.combine(due.date(), rng.choice(HOT_TIMES), tzinfo=VN_TZ)  # on a boundary
        receipt = {"procedure_code": code, "procedure_name": name, "sector_code": "S1", "channel": "in_person",
                   "processing_days": days, "due_at": due.isoformat(),
                   "applicant": {"id_number": f"00109{i:07d}", "full_name": "Nguyễn Văn A", "phone": "0912345678"}}
        case = [_event(case_id, agency, "case.received", received, desk, receipt)]
        if rng.random() < 0.05:  # the receipt sent twice under two event ids, the second later
            case.append(_event(case_id, agency, "case.received", received + timedelta(hours=2), desk, receipt))
        at = received + timedelta(minutes=rng.randrange(5, 90))
        case.append(_event(case_id, agency, "case.assigned", at, desk, {"to_officer_id": handler}))
        if rng.random() < 0.1:
            at = _later(rng, at, 3)
            case.append(_event(case_id, agency, "case.assigned", at, desk, {"to_officer_id": other}))
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            at = _later(rng, at, 8)
            returned = _event(case_id, agency, "case.returned", at, handler, {"reason_code": "missing_document"})
            case.append(returned)
            if rng.random() < 0.1:  # the same return again under another event id
                case.append(_event(case_id, agency, "case.returned", at, handler, {"reason_code": "missing_document"}))
            if rng.random() < 0.8:
                at = _later(rng, at, 10)
                case.append(_event(case_id, agency, "case.resubmitted", at, None))
        if rng.random() < 0.15:
            case.append(_event(case_id, agency, "case.extended", _later(rng, received, 4), handler,
                               {"new_due_at": (due + timedelta(days=3)).isoformat()}))
        fate = rng.random()
        if fate < 0.75:
            done = _later(rng, at, 10)
            officer = None if rng.random() < 0.05 else handler
            outcome = "refused" if rng.random() < 0.1 else "approved"
            case.append(_event(case_id, agency, "case.completed", done, officer, {"outcome": outcome}))
            if rng.random() < 0.04:  # a second completion under another event id
                case.append(_event(case_id, agency, "case.completed", done + timedelta(hours=5), other, {"outcome": outcome}))
            if rng.random() < 0.05:  # a withdrawal after the result: ignored
                case.append(_event(case_id, agency, "case.withdrawn", done + timedelta(days=1), None))
            if rng.random() < 0.08:  # a return after the case closed: ignored
                case.append(_event(case_id, agency, "case.returned", done + timedelta(hours=1), handler, {"reason_code": "x"}))
            for _ in range(rng.choice((0, 0, 1, 2))):
                case.append(_event(case_id, agency, "case.rated", _later(rng, done, 5), None, {"score": rng.randint(1, 5)}))
            if rng.random() < 0.1:
                case.append(_event(case_id, agency, "case.complained", _later(rng, done, 5), None, {"category": "delay"}))
        elif fate < 0.85:
            case.append(_event(case_id, agency, "case.withdrawn", _later(rng, at, 6), None))
        events.extend(case)
    return events


def generated_stream(seed: int, days: int, cases_per_day: int) -> list[bytes]:
    """The project's generator with late, out-of-order, duplicate and impossible-order deliveries:
    the message values the loader would load or record as redeliveries, in arrival order."""
    faults = FaultRates(duplicate=0.03, out_of_order=0.05, late=0.05, impossible_time_order=0.005)
    config = GeneratorConfig(seed=seed, start_date=date(2026, 1, 5), days=days, cases_per_day=cases_per_day,
                             faults=faults, agencies=("SKHDT", "STP", "SXD"))
    return [m.value for m in generate(config)
            if m.stream == "case" and EXPECTED_REASON.get(m.label, "quarantined") is None]


def encode(events: Iterable[dict], seed: int, *, redeliver_share: float = 0.02) -> list[bytes]:
    """Message values in a shuffled arrival order (so many events arrive after later ones: late,
    out of order), a few of them delivered twice."""
    rng = random.Random(f"{seed}:arrival")
    values = [json.dumps(e, ensure_ascii=False).encode() for e in events]
    rng.shuffle(values)
    return values + [v for v in values if rng.random() < redeliver_share]


def load(conn: psycopg.Connection, values: Iterable[bytes], topic: str = "motcua.case-events") -> tuple[int, int]:
    """Load message values as the loader does: the first delivery of an event id into
    raw.case_events, later ones into raw.redeliveries, at consecutive offsets. Returns (loaded, redelivered)."""
    seen: set[str] = set()
    first, again = [], []
    for offset, value in enumerate(values):
        event_id = json.loads(value)["event_id"]
        row = (hashlib.sha256(value).digest(), topic, 0, offset)
        if event_id in seen:
            again.append((event_id, *row))
        else:
            seen.add(event_id)
            first.append((value.decode(), *row))
    with conn.cursor() as cur:
        cur.executemany("insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset)"
                        " values (%s::jsonb, %s, %s, %s, %s)", first)
        cur.executemany("insert into raw.redeliveries (event_id, content_hash, kafka_topic, kafka_partition, kafka_offset)"
                        " values (%s, %s, %s, %s, %s)", again)
    return len(first), len(again)
