"""A small deterministic stream of case events with late and out-of-order arrivals.

For the incremental-equals-full-refresh test: which values come out does not matter there (the
scenario test checks values by hand), only that every kind of change happens: receipts, returns
and resubmissions, extensions, completions (some late, some refused), withdrawals, ratings,
complaints, events arriving days late (a completion before its receipt), and open cases.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from tests.dbt.events import (
    VN, Event, assigned, completed, complained, extended, rated, received, resubmitted, returned, withdrawn,
)

AGENCIES = ("SKHDT", "STP", "SXD")
OFFICERS = {a: [f"{a[:2]}{i}" for i in range(1, 4)] for a in AGENCIES}


@dataclass
class Arrival:
    day: date  # the night whose run first sees the event
    event: Event


def _at(day: date, rng: random.Random) -> datetime:
    """A time in office hours on `day` (local)."""
    minute = rng.randrange(0, 8 * 60)
    hour = 8 + minute // 60 + (1 if minute >= 4 * 60 else 0)
    return datetime(day.year, day.month, day.day, hour, minute % 60, tzinfo=VN)


def _later(at: datetime, rng: random.Random, max_days: int) -> datetime:
    day = at.date() + timedelta(days=rng.randrange(0, max_days + 1))
    while day.weekday() >= 5:
        day += timedelta(days=1)
    moment = _at(day, rng)
    return moment if moment > at else at + timedelta(hours=1)


def simulate(seed: int = 7, start: date = date(2026, 2, 2), days: int = 20, per_day: int = 12) -> list[Arrival]:
    rng = random.Random(seed)
    last = start + timedelta(days=days - 1)
    out: list[Arrival] = []
    n = 0
    for offset in range(days):
        day = start + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for _ in range(per_day):
            n += 1
            case = f"G{n:05d}"
            agency = rng.choice(AGENCIES)
            desk, handler = rng.sample(OFFICERS[agency], 2)
            if rng.random() < 0.1:  # an officer lending a hand at another agency
                handler = rng.choice(OFFICERS[rng.choice(AGENCIES)])
            t0 = _at(day, rng)
            pdays = rng.choice([1, 2, 3, 5])
            evs = [received(case, t0, t0 + timedelta(days=pdays + 1), officer=desk, agency=agency, days=pdays,
                            applicant={"id_number": f"{rng.randrange(10**11, 10**12)}"})]
            t = _later(t0, rng, 0)
            evs.append(assigned(case, t, handler, officer=desk, agency=agency))
            if rng.random() < 0.2:
                t = _later(t, rng, 2)
                evs.append(returned(case, t, officer=handler, agency=agency))
                t = _later(t, rng, 3)
                evs.append(resubmitted(case, t, agency=agency))
                if rng.random() < 0.2:
                    t = _later(t, rng, 1)
                    evs.append(returned(case, t, officer=handler, agency=agency))
                    if rng.random() < 0.7:
                        t = _later(t, rng, 2)
                        evs.append(resubmitted(case, t, agency=agency))
            if rng.random() < 0.05:
                t = _later(t, rng, 1)
                evs.append(withdrawn(case, t, agency=agency))
            else:
                if rng.random() < 0.1:
                    t = _later(t, rng, 2)
                    evs.append(extended(case, t, t + timedelta(days=3), officer=handler, agency=agency))
                t = _later(t, rng, 6)
                evs.append(completed(case, t, officer=handler, agency=agency,
                                     outcome="refused" if rng.random() < 0.1 else "approved"))
                if rng.random() < 0.4:
                    evs.append(rated(case, t + timedelta(hours=rng.randrange(1, 48)), rng.randint(1, 5), agency=agency))
                if rng.random() < 0.05:
                    evs.append(complained(case, t + timedelta(hours=rng.randrange(1, 72)), agency=agency))
            for ev in evs:
                seen = ev.occurred_at.date()
                if rng.random() < 0.12:  # an offline desk syncing days later
                    seen += timedelta(days=rng.randint(1, 5))
                if seen <= last:
                    out.append(Arrival(seen, ev))
    rng.shuffle(out)  # arrival order within a night is arbitrary
    out.sort(key=lambda a: a.day)
    return out
