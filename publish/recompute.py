"""A second implementation of the SLA clock, in Python, from the raw events alone.

The marts compute every case's deadline, waits and timeliness in SQL (dbt_project/models/
intermediate/cases/). This module recomputes the same facts from the verbatim payloads of
raw.case_events with the working-time calendar of `workcal/` and its own clock, following the
rule book (docs/domain/sla-clock.md) rather than the SQL: it never reads a derived column of
the marts. `motcua audit trace --verify` compares the two per case; tests/dbt/
test_recompute_property.py requires them to agree on thousands of generated cases.

Inputs besides the events are the configuration the rule book names: the dbt variables of
dbt_project/dbt_project.yml (office hours, default policy, cut-off, calendar bounds, the
personal-data pattern), kpi_models/procedure_sla_config.csv and the calendar overrides seed.
"""
from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from workcal import VN_TZ, WorkCalendar, load_overrides

ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_YML = ROOT / "dbt_project" / "dbt_project.yml"
PROCEDURE_CONFIG = ROOT / "kpi_models" / "procedure_sla_config.csv"
EVENT_TYPES = frozenset({"case.received", "case.assigned", "case.returned", "case.resubmitted", "case.extended",
                         "case.completed", "case.delivered", "case.withdrawn", "case.rated", "case.complained"})
# identifiers and codes staging checks for a value that looks like personal data
_CODE_FIELDS = ("case_id", "agency_code", "officer_id")
_DATA_CODE_FIELDS = ("procedure_code", "procedure_name", "sector_code", "channel", "to_officer_id",
                     "department_code", "reason_code", "outcome", "category")
_US = 1_000_000
_CENT = Decimal("0.01")


def _parse_instant(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _hhmm(text: str) -> time:
    hours, minutes = text.split(":")[:2]
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class ProcedureRule:
    procedure_code: str
    sla_policy: str | None
    cutoff: time | None
    valid_from: date
    valid_to: date | None


@dataclass
class ClockConfig:
    """The configuration of the clock, read from the project's files (never from the marts)."""
    office_hours: tuple[tuple[time, time], ...]
    default_policy: str
    default_cutoff: time | None
    system_start: date
    calendar_start: date
    calendar_end: date
    personal_data_regex: re.Pattern[str]
    procedures: dict[str, list[ProcedureRule]]
    _calendars: dict[str | None, WorkCalendar] = field(default_factory=dict)

    @classmethod
    def from_project(cls, dbt_project: Path = DBT_PROJECT_YML, procedure_config: Path = PROCEDURE_CONFIG) -> "ClockConfig":
        variables = yaml.safe_load(dbt_project.read_text(encoding="utf-8"))["vars"]
        procedures: dict[str, list[ProcedureRule]] = defaultdict(list)
        with procedure_config.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                procedures[row["procedure_code"]].append(ProcedureRule(
                    row["procedure_code"], row["sla_policy"].strip() or None,
                    _hhmm(row["receipt_cutoff_local"]) if row["receipt_cutoff_local"].strip() else None,
                    date.fromisoformat(row["valid_from"]),
                    date.fromisoformat(row["valid_to"]) if row["valid_to"].strip() else None))
        cutoff = variables.get("receipt_cutoff")
        return cls(
            office_hours=tuple((_hhmm(a), _hhmm(b)) for a, b in variables["office_hours"]),
            default_policy=variables["sla_policy"],
            default_cutoff=_hhmm(cutoff) if cutoff else None,
            system_start=date.fromisoformat(str(variables["system_start"])),
            calendar_start=date.fromisoformat(str(variables["calendar_start"])),
            calendar_end=date.fromisoformat(str(variables["calendar_end"])),
            personal_data_regex=re.compile(variables["personal_data_value_regex"]),
            procedures=dict(procedures),
        )

    @cached_property
    def _overrides(self) -> list:
        return load_overrides()

    @cached_property
    def _own_calendar_agencies(self) -> frozenset[str]:
        return frozenset(o.agency_code for o in self._overrides if o.agency_code)

    def calendar(self, agency_code: str) -> WorkCalendar:
        """The agency's own calendar when it has local overrides, else the national one."""
        key = agency_code if agency_code in self._own_calendar_agencies else None
        if key not in self._calendars:
            self._calendars[key] = WorkCalendar(self._overrides, self.office_hours, agency_code=key)
        return self._calendars[key]

    def rule_for(self, procedure_code: str, received_on: date) -> tuple[str, time | None]:
        for rule in self.procedures.get(procedure_code, ()):
            if rule.valid_from <= received_on and (rule.valid_to is None or received_on < rule.valid_to):
                return rule.sla_policy or self.default_policy, rule.cutoff or self.default_cutoff
        return self.default_policy, self.default_cutoff


@dataclass(frozen=True)
class Event:
    """One raw event, as its payload says (the raw table's generated columns are not read)."""
    event_id: str
    event_type: str
    occurred_at: datetime
    agency_code: str
    officer_id: str | None
    data: dict[str, Any]
    schema_version: Any

    @classmethod
    def from_payload(cls, payload: str | dict) -> "Event | None":
        body = json.loads(payload, parse_float=Decimal) if isinstance(payload, str) else payload
        occurred = _parse_instant(body.get("occurred_at"))
        if occurred is None or not body.get("event_id") or not body.get("case_id"):
            return None
        return cls(str(body["event_id"]).lower(), body.get("event_type"), occurred, body.get("agency_code"),
                   body.get("officer_id"), body.get("data") or {}, body.get("schema_version"))

    @property
    def key(self) -> tuple[datetime, str]:
        # facts are decided by occurred_at, ties by event_id (uuid order = lower-case hex order)
        return self.occurred_at, self.event_id


def rejection(event: Event, case_id: str, config: ClockConfig) -> str | None:
    """Why staging would keep this event out of the figures (first reason wins), else None."""
    local = lambda t: t.astimezone(VN_TZ).date()  # noqa: E731
    data = event.data
    if event.event_type not in EVENT_TYPES:
        return "unknown_event_type"
    if _as_smallint(event.schema_version) != 1:
        return "unsupported_schema_version"
    if local(event.occurred_at) < config.system_start:
        return "occurred_before_system_start"
    if not config.calendar_start <= local(event.occurred_at) <= config.calendar_end:
        return "occurred_outside_working_calendar"
    values = [case_id, event.agency_code, event.officer_id, *(data.get(k) for k in _DATA_CODE_FIELDS)]
    if any(isinstance(v, str) and config.personal_data_regex.search(v) for v in values):
        return "identifier_looks_like_personal_data"
    if event.event_type == "case.received":
        days = data.get("processing_days")
        due = _parse_instant(data.get("due_at"))
        if (not data.get("procedure_code") or due is None or not isinstance(days, (int, Decimal))
                or isinstance(days, bool) or days <= 0 or not data.get("channel")):
            return "receipt_incomplete"
        if not config.calendar_start <= local(due) <= config.calendar_end:
            return "due_at_outside_working_calendar"
    if event.event_type == "case.extended":
        new_due = _parse_instant(data.get("new_due_at"))
        if new_due is None or not config.calendar_start <= local(new_due) <= config.calendar_end:
            return "new_due_at_outside_working_calendar"
    if event.event_type == "case.rated" and _score(data.get("score")) is None:
        return "rating_score_not_an_integer_1_to_5"
    return None


def _as_smallint(value: Any) -> int | None:
    """The schema version as the raw table reads it (numeric, rounded half away from zero)."""
    try:
        return int(Decimal(str(value)).to_integral_value(ROUND_HALF_UP))
    except (ArithmeticError, ValueError):
        return None


def _score(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    return int(value) if value == int(value) and 1 <= value <= 5 else None


@dataclass
class CaseFacts:
    """What the rule book says about one received case."""
    case_id: str
    agency_code: str
    receiving_officer_id: str | None
    procedure_code: str
    processing_days: Decimal
    sla_policy: str
    received_at: datetime
    clock_started_at: datetime
    due_at: datetime
    effective_due_at: datetime
    status: str
    completed_at: datetime | None
    completing_officer_id: str | None
    completing_agency_code: str | None
    outcome: str | None
    withdrawn_at: datetime | None
    last_assignee_id: str | None
    return_count: int
    waiting_working_minutes: Decimal
    paused_working_minutes: Decimal
    is_waiting_for_applicant: bool
    timeliness: str | None
    rating_score: int | None
    rated_at: datetime | None
    complaint_dates: list[date]
    processing_working_days: Decimal | None

    @property
    def handling_officer_id(self) -> str | None:
        return self.completing_officer_id or self.last_assignee_id

    def as_row(self) -> dict[str, Any]:
        """The fields compared with marts.fct_cases (same names)."""
        local = lambda t: t.astimezone(VN_TZ).date() if t else None  # noqa: E731
        return {
            "status": self.status, "agency_code": self.agency_code, "receiving_officer_id": self.receiving_officer_id,
            "handling_officer_id": self.handling_officer_id, "completing_agency_code": self.completing_agency_code,
            "received_date": local(self.received_at), "completed_date": local(self.completed_at) if self.status == "completed" else None,
            "clock_started_at": self.clock_started_at, "effective_due_at": self.effective_due_at,
            "waiting_working_minutes": self.waiting_working_minutes, "paused_working_minutes": self.paused_working_minutes,
            "return_count": self.return_count, "timeliness": self.timeliness, "sla_policy": self.sla_policy,
        }


def _first(events: list[Event], kind: str) -> Event | None:
    matching = [e for e in events if e.event_type == kind]
    return min(matching, key=lambda e: e.key) if matching else None


def _last(events: list[Event], kind: str) -> Event | None:
    matching = [e for e in events if e.event_type == kind]
    return max(matching, key=lambda e: e.key) if matching else None


def _waits(events: list[Event], as_of: datetime) -> list[tuple[datetime, datetime | None, str]]:
    """Waits for the applicant: (from, until or None while open, ended_by), in order of start.

    A return opens a wait; the next resubmission after it closes it, unless the case was closed
    (completion or withdrawal) first, which then closes it; returns after the case was closed
    are ignored; returns that end at the same point form one wait (the clock cannot pause twice)."""
    ordered = sorted((e for e in events if e.event_type in
                      ("case.returned", "case.resubmitted", "case.completed", "case.withdrawn")), key=lambda e: e.key)
    closes = [e.occurred_at for e in ordered if e.event_type in ("case.completed", "case.withdrawn")]
    closed_at = min(closes) if closes else None
    waits: dict[tuple[datetime | None, str], datetime] = {}
    for i, event in enumerate(ordered):
        if event.event_type != "case.returned" or (closed_at is not None and event.occurred_at >= closed_at):
            continue
        later = [e.occurred_at for e in ordered[i + 1:] if e.event_type == "case.resubmitted"]
        resubmitted = min(later) if later else None
        if resubmitted is not None and (closed_at is None or resubmitted <= closed_at):
            end: tuple[datetime | None, str] = (resubmitted, "resubmitted")
        elif closed_at is not None:
            end = (closed_at, "closed")
        else:
            end = (None, "open")
        waits[end] = min(waits.get(end, event.occurred_at), event.occurred_at)
    return sorted(((start, until, how) for (until, how), start in waits.items()), key=lambda w: w[0])


def recompute_case(case_id: str, events: Iterable[Event], config: ClockConfig, as_of: datetime) -> CaseFacts | None:
    """The case's facts from its events, or None when it has no valid receipt (not in the marts)."""
    valid = [e for e in events if rejection(e, case_id, config) is None]
    receipt = _first(valid, "case.received")
    if receipt is None:
        return None
    data = receipt.data
    cal = config.calendar(receipt.agency_code)
    day_us = round(cal.daily_minutes * 60 * _US)
    received_on = receipt.occurred_at.astimezone(VN_TZ).date()
    policy, cutoff = config.rule_for(data["procedure_code"], received_on)
    days = Decimal(data["processing_days"])
    legal_us = days * day_us
    due_at = _parse_instant(data["due_at"])
    clock_start = cal.next_working_instant(receipt.occurred_at, cutoff)

    completion = _first(valid, "case.completed")
    withdrawal = _first(valid, "case.withdrawn")
    if withdrawal and (completion is None or withdrawal.occurred_at < completion.occurred_at):
        status = "withdrawn"
    elif completion:
        status = "completed"
    else:
        status = "open"

    # the waits, on the calendar's working-time axis (microseconds)
    due_pos = cal.working_position(due_at)
    waited = paused = 0
    previous_until: int | None = None
    moving = True
    last_moving_until: int | None = None
    open_wait = False
    for start, until, how in _waits(valid, as_of):
        start_pos = cal.working_position(start)
        until_pos = cal.working_position(until if until is not None else as_of)
        length = max(until_pos - start_pos, 0)
        # a wait that starts after the (moved) deadline moves nothing, nor does any later one
        if policy == "restart":
            limit = due_pos if previous_until is None else previous_until + legal_us
            moving = moving and start_pos <= limit
        else:
            moving = moving and start_pos <= due_pos + waited
        if moving:
            paused += length
            last_moving_until = until_pos if last_moving_until is None else max(last_moving_until, until_pos)
        waited += length
        previous_until = until_pos
        open_wait = open_wait or how == "open"

    if policy == "restart" and last_moving_until is not None:
        effective = cal.instant_at_position(int((last_moving_until + legal_us).to_integral_value()))
    elif paused > 0:
        effective = cal.instant_at_position(due_pos + paused)
    else:
        effective = due_at

    completed_at = completion.occurred_at if completion else None
    timeliness = None
    if status == "completed":
        if completed_at > effective:
            timeliness = "late"
        elif completed_at.astimezone(VN_TZ).date() < effective.astimezone(VN_TZ).date():
            timeliness = "early"
        else:
            timeliness = "on_time"

    waiting_minutes = (Decimal(waited) / (60 * _US)).quantize(_CENT, ROUND_HALF_UP)
    processing = None
    if status == "completed":
        worked = (Decimal(cal.working_position(completed_at) - cal.working_position(clock_start)) / _US
                  - waiting_minutes * 60)
        processing = max(Decimal(0), worked) / Decimal(day_us // _US)

    assignment = _last(valid, "case.assigned")
    rating = _last(valid, "case.rated")
    returns = {e.occurred_at for e in valid if e.event_type == "case.returned"}
    return CaseFacts(
        case_id=case_id, agency_code=receipt.agency_code, receiving_officer_id=receipt.officer_id,
        procedure_code=data["procedure_code"], processing_days=days, sla_policy=policy,
        received_at=receipt.occurred_at, clock_started_at=clock_start, due_at=due_at, effective_due_at=effective,
        status=status, completed_at=completed_at if status == "completed" else None,
        completing_officer_id=completion.officer_id if completion else None,
        completing_agency_code=completion.agency_code if completion else None,
        outcome=completion.data.get("outcome") if completion and status == "completed" else None,
        withdrawn_at=withdrawal.occurred_at if status == "withdrawn" else None,
        last_assignee_id=assignment.data.get("to_officer_id") if assignment else None,
        return_count=len(returns),
        waiting_working_minutes=waiting_minutes,
        paused_working_minutes=(Decimal(paused) / (60 * _US)).quantize(_CENT, ROUND_HALF_UP),
        is_waiting_for_applicant=open_wait and status == "open",
        timeliness=timeliness,
        rating_score=_score(rating.data.get("score")) if rating else None,
        rated_at=rating.occurred_at if rating else None,
        complaint_dates=[e.occurred_at.astimezone(VN_TZ).date() for e in valid if e.event_type == "case.complained"],
        processing_working_days=processing,
    )


@dataclass(frozen=True)
class Membership:
    """One row as lineage.kpi_case_membership would hold it."""
    case_id: str
    measure: str
    officer_id: str | None
    agency_code: str
    activity_date: date
    value: Decimal


# the states of open cases at the end of a month (or at the build's as-of instant within it)
SNAPSHOT_MEASURES = frozenset({"open_within_deadline", "open_overdue", "waiting_for_applicant"})


def snapshot_instant(month: date, as_of: datetime) -> datetime | None:
    """When the month's states of open cases are taken: its end (local midnight), or the build's
    as-of instant when that falls earlier; None when the build predates the month."""
    start = datetime.combine(month.replace(day=1), time(0), tzinfo=VN_TZ)
    following = datetime.combine((month.replace(day=1) + timedelta(days=32)).replace(day=1), time(0), tzinfo=VN_TZ)
    at = min(following, as_of)
    return at if at > start else None


def open_state(case_id: str, events: Iterable[Event], config: ClockConfig, at: datetime) -> str | None:
    """The case's state at instant `at`, decided by the events that occurred before it alone (the
    same clock, run as if the build's as-of were `at`): waiting_for_applicant, open_overdue or
    open_within_deadline; None when it was not received yet or already closed then."""
    facts = recompute_case(case_id, [e for e in events if e.occurred_at < at], config, at)
    if facts is None or facts.status != "open":
        return None
    if facts.is_waiting_for_applicant:
        return "waiting_for_applicant"
    return "open_overdue" if at > facts.effective_due_at else "open_within_deadline"


def snapshot_date(at: datetime) -> date:
    """The date a state is filed under: the last local day the snapshot closes (the marts' snapshot_date)."""
    return (at - timedelta(microseconds=1)).astimezone(VN_TZ).date()


def snapshot_memberships(case_id: str, events: list[Event], config: ClockConfig, as_of: datetime) -> list[Membership]:
    """The case's state at the end of every month it was open (at the as-of in the as-of's month),
    as the open_* / waiting_for_applicant rows of the membership (agency-level: no officer)."""
    facts = recompute_case(case_id, events, config, as_of)
    if facts is None:
        return []
    rows = []
    month = facts.received_at.astimezone(VN_TZ).date().replace(day=1)
    while (at := snapshot_instant(month, as_of)) is not None:
        state = open_state(case_id, events, config, at)
        if state is None:       # closed (a case does not reopen), or received after the as-of
            break
        rows.append(Membership(case_id, state, None, facts.agency_code, snapshot_date(at), Decimal(1)))
        month = (month + timedelta(days=32)).replace(day=1)
    return rows


def memberships(facts: CaseFacts) -> list[Membership]:
    """Where the case counts (docs/domain/sla-clock.md, Attribution)."""
    local = lambda t: t.astimezone(VN_TZ).date()  # noqa: E731
    one = Decimal(1)
    rows: list[Membership] = []
    add = lambda m, o, a, d, v=one: rows.append(Membership(facts.case_id, m, o, a, d, Decimal(v)))  # noqa: E731
    received_on = local(facts.received_at)
    add("received", facts.receiving_officer_id, facts.agency_code, received_on)
    if facts.return_count >= 1:
        add("returned_first_pass", facts.receiving_officer_id, facts.agency_code, received_on)
    handler, completing_agency = facts.handling_officer_id, facts.completing_agency_code
    if facts.status == "completed":
        done_on = local(facts.completed_at)
        add("completed", handler, completing_agency, done_on)
        add(f"timeliness_{facts.timeliness}", handler, completing_agency, done_on)
        if facts.timeliness in ("early", "on_time"):
            add("completed_on_time", handler, completing_agency, done_on)
        if facts.outcome == "refused":
            add("refused", handler, completing_agency, done_on)
        if facts.complaint_dates:
            add("completed_with_complaint", handler, completing_agency, done_on)
        add("processing_working_days", handler, completing_agency, done_on, facts.processing_working_days)
    credited = facts.handling_officer_id or facts.receiving_officer_id
    credited_agency = facts.completing_agency_code or facts.agency_code
    if facts.rating_score is not None:
        add("rating", credited, credited_agency, local(facts.rated_at), facts.rating_score)
        if facts.rating_score >= 4:
            add("rating_satisfied", credited, credited_agency, local(facts.rated_at))
    per_day: dict[date, int] = defaultdict(int)
    for day in facts.complaint_dates:
        per_day[day] += 1
    for day, count in sorted(per_day.items()):
        add("complaint", credited, credited_agency, day, count)
    if facts.status == "withdrawn":
        add("withdrawn", None, facts.agency_code, local(facts.withdrawn_at))
    return rows


def recompute_cases(events_by_case: dict[str, list[Event]], config: ClockConfig, as_of: datetime) -> dict[str, CaseFacts]:
    out = {}
    for case_id, events in events_by_case.items():
        facts = recompute_case(case_id, events, config, as_of)
        if facts is not None:
            out[case_id] = facts
    return out
