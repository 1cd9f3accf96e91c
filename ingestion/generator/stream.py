"""generate(config): the deterministic message stream, night by night.

The simulation walks the calendar days of [start_date, start_date + days). On each working
day it receives exactly `cases_per_day` new cases in total over the selected agencies (split
at random by agency weight; an agency closed by a local override receives none), and simulates
each case's whole life at once. Events that would occur on or after the end of the window have
not happened yet and are not emitted (so the last weeks end with open cases); late deliveries,
long-gap duplicates and the like may arrive on nights after the window.

Messages are yielded in production order: by arrival night, then by position in the night
(normally the event's own time). Memory holds only the messages not yet due, roughly the
longest case duration's worth of events.

Determinism: day d's cases use random.Random(f"{seed}:cases:{d}") and the faults of those cases
random.Random(f"{seed}:faults:{d}"): same config, same bytes; a longer window keeps the earlier
days' cases; fault rates never change the valid events.

With `staff=True` the staff topic's events (staff.py) are interleaved, each Message marked
stream="staff": positions, transfers and assessments of the window, and exemptions for a few
late cases. They draw from their own random streams, so the case messages are the same bytes
with or without them.
"""
from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from ingestion.generator.faults import FaultRates, deliver_plain, deliver_with_faults
from ingestion.generator.lifecycle import iso, receipt_instant, simulate_case
from ingestion.generator.message import Message
from ingestion.generator.staff import Exemptions, officer_events
from ingestion.generator.staff_faults import StaffDelivery
from ingestion.generator.world import select_agencies, procedures_of
from workcal import Override, WorkCalendar, load_overrides
from motcua.errors import PermanentError


class GeneratorConfigError(PermanentError, ValueError):
    """Invalid generator settings."""


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int = 42
    start_date: date = date(2026, 1, 5)
    days: int = 30
    cases_per_day: int = 200  # new cases per working day, in total over the selected agencies
    faults: FaultRates = field(default_factory=FaultRates)
    agencies: tuple[str, ...] = ()  # agency codes; empty = every agency of the world
    overrides: tuple[Override, ...] | None = None  # None = dbt_project/seeds/calendar_overrides.csv
    staff: bool = False  # also the staff topic's events (the CLI's default: on)
    staff_malformed: float = 0.0  # per staff event: one broken copy, classes in turn (staff_faults.py)

    def __post_init__(self) -> None:
        if self.days < 1 or self.cases_per_day < 0:
            raise GeneratorConfigError(f"need days >= 1 and cases_per_day >= 0, got {self.days}, {self.cases_per_day}")
        if not 0.0 <= self.staff_malformed <= 1.0:
            raise GeneratorConfigError(f"staff_malformed={self.staff_malformed} is outside [0, 1]")

    @property
    def end_date(self) -> date:
        """First day after the window."""
        return self.start_date + timedelta(days=self.days)


def _envelopes(agency, case_id: str, sim_events) -> list:
    source, code = agency.source, agency.code
    out = []
    for e in sim_events:
        event = {"event_id": e.event_id, "event_type": e.event_type, "schema_version": 1,
                 "occurred_at": iso(e.occurred_at), "source": source, "case_id": case_id,
                 "agency_code": code, "officer_id": e.officer_id}
        if e.data is not None:
            event["data"] = e.data
        out.append((e.occurred_at, event))
    return out


def generate(config: GeneratorConfig) -> Iterator[Message]:
    agencies = select_agencies(config.agencies)
    overrides = load_overrides() if config.overrides is None else list(config.overrides)
    base = WorkCalendar(overrides)
    calendars = {a.code: base.for_agency(a.code) for a in agencies}
    procedures = {a.code: procedures_of(a.code) for a in agencies}
    volumes = {a.code: list(itertools.accumulate(p.volume for p in procedures[a.code])) for a in agencies}
    end = config.end_date
    rates = config.faults
    faulty = rates.any
    pending: list[tuple[int, float, int, Message]] = []
    order = itertools.count()
    delivery = exemptions = None
    if config.staff:
        delivery = StaffDelivery(config.seed, config.staff_malformed, rates.duplicate)
        exemptions = Exemptions(config.seed, end)
        for night, position, message in delivery.deliver(officer_events(config.seed, agencies, config.start_date, end)):
            heapq.heappush(pending, (night.toordinal(), position, next(order), message))

    for offset in range(config.days):
        day = config.start_date + timedelta(days=offset)
        rng = random.Random(f"{config.seed}:cases:{day.isoformat()}")
        fault_rng = random.Random(f"{config.seed}:faults:{day.isoformat()}")
        open_agencies = [a for a in agencies if calendars[a.code].is_working_day(day)]
        if open_agencies and config.cases_per_day:
            picks = rng.choices(open_agencies, [a.weight for a in open_agencies], k=config.cases_per_day)
            intake = []
            for agency in picks:
                proc = rng.choices(procedures[agency.code], cum_weights=volumes[agency.code])[0]
                intake.append((receipt_instant(rng, calendars[agency.code], day), agency.code, agency, proc))
            intake.sort(key=lambda item: (item[0], item[1]))  # case numbers follow receipt order
            numbers: dict[str, int] = {}
            for received_at, code, agency, proc in intake:
                numbers[code] = numbers.get(code, 0) + 1
                case_id = f"000.00.{agency.number}.H26-{day:%y%m%d}-{numbers[code]:04d}"
                sim = simulate_case(rng, calendars[code], agency, proc, received_at)
                visible = [e for e in sim if e.occurred_at.date() < end]
                events = _envelopes(agency, case_id, visible)
                key = case_id.encode()
                entries = deliver_with_faults(key, events, rates, fault_rng) if faulty else deliver_plain(key, events)
                if exemptions is not None:
                    entries = entries + delivery.deliver(exemptions.for_case(agency, case_id, visible))
                for night, position, message in entries:
                    heapq.heappush(pending, (night.toordinal(), position, next(order), message))
        today = day.toordinal()
        while pending and pending[0][0] <= today:
            yield heapq.heappop(pending)[3]
    while pending:
        yield heapq.heappop(pending)[3]


def select_nights(messages: Iterator[Message], *, night: date | None = None,
                  through: date | None = None) -> Iterator[Message]:
    """Only the messages of one arrival night, or of all nights up to `through` (inclusive).

    Relies on generate()'s order (by arrival night) to stop early.
    """
    last = night or through
    for message in messages:
        if last is not None and message.arrival_day > last:
            return
        if night is None or message.arrival_day == night:
            yield message
