"""Delivery of the staff events as Kafka messages, with every malformed class of their contract.

`staff_malformed` is the probability, per distinct staff event, of one extra broken copy; the
classes are used in turn (STAFF_FAULT_CLASSES order). Whenever it is above 0, the first 15 staff
events get one broken copy each, so every class appears at least once however small the stream. A broken copy carries a fresh event_id (except
`conflict`, which reuses the original's with other content, delivered right after it), so the
valid stream stays complete. `duplicate` (the case stream's rate) adds byte-identical copies.
Labels are the quarantine reasons (message.py), except conflict -> event_id_conflict.
"""
from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from ingestion.generator import message as L
from ingestion.generator.faults import (
    _invalid_json, _invalid_utf8, _nul_character, _timestamp_without_offset, _too_large, encode, position_in_day,
)
from ingestion.generator.lifecycle import iso, new_event_id
from ingestion.generator.message import Message
from ingestion.generator.staff import StaffEvent

STAFF = "staff"
UNKNOWN_STAFF_TYPES = ("officer.promoted", "case.exemption_extended", "OFFICER_ASSESSED")
# What each event type requires in `data` (staff-event.schema.json).
DATA_REQUIRED = {
    "officer.positioned": ("unit_code", "position_code", "position_group", "valid_from"),
    "officer.left": ("valid_from",),
    "officer.assessed": ("period", "assessor_id", "assessor_role", "criteria"),
    "case.exemption_granted": ("case_id", "scope", "decision_ref", "reason_code"),
    "case.exemption_revoked": ("case_id", "scope", "decision_ref"),
}
# Values the schema forbids, per event type: (data field, bad value). Enums, the period pattern,
# the points range, dates, an empty criteria list.
BAD_VALUES = {
    "officer.positioned": (("position_group", "clerk"), ("valid_from", "2026-02-30"), ("valid_from", "01/03/2026"),
                           ("unit_code", "")),
    "officer.left": (("reason", "fired"), ("valid_from", "2026-13-01")),
    "officer.assessed": (("period", "2026-13"), ("period", "2026-Q5"), ("period", "03-2026"),
                         ("assessor_role", "director"), ("points", 10.5 + 100), ("points", -1), ("criteria", [])),
    "case.exemption_granted": (("scope", "all"), ("reason_code", "weather"), ("decision_ref", "")),
    "case.exemption_revoked": (("scope", "everything"), ("case_id", "")),
}


def _fresh(event: dict, rng: random.Random) -> dict:
    return {**event, "event_id": new_event_id(rng)}


def _wrong_type(event: dict, rng: random.Random) -> bytes:
    bad = _fresh(event, rng)
    data = dict(bad["data"])
    choice = rng.choice(("occurred_at", "agency_code", "officer_id", "data", "data_field"))
    if choice == "occurred_at":
        bad["occurred_at"] = int(datetime.fromisoformat(bad["occurred_at"]).timestamp())
    elif choice in ("agency_code", "officer_id"):
        bad[choice] = rng.randint(1, 99999)
    elif choice == "data":
        bad["data"] = list(data.values())
    elif "criteria" in data:
        data["criteria"] = [{**c, "points": str(c["points"])} for c in data["criteria"]]  # "9" for 9
        bad["data"] = data
    else:
        field = DATA_REQUIRED[bad["event_type"]][0]
        data[field] = rng.randint(1, 9)
        bad["data"] = data
    return encode(bad)


def _unknown_event_type(event: dict, rng: random.Random) -> bytes:
    return encode({**_fresh(event, rng), "event_type": rng.choice(UNKNOWN_STAFF_TYPES)})


def _missing_field(event: dict, rng: random.Random) -> bytes:
    bad = _fresh(event, rng)
    options = ["event_id", "occurred_at", "agency_code", "officer_id", "data",
               *("data." + f for f in DATA_REQUIRED[bad["event_type"]])]
    choice = rng.choice(options)
    if choice.startswith("data."):
        bad["data"] = {k: v for k, v in bad["data"].items() if k != choice[5:]}
    else:
        del bad[choice]
    return encode(bad)


def _invalid_value(event: dict, rng: random.Random) -> bytes:
    bad = _fresh(event, rng)
    if bad["event_type"].startswith("officer.") and rng.random() < 0.2:
        bad["officer_id"] = None  # a position or an assessment of nobody
        return encode(bad)
    field, value = rng.choice(BAD_VALUES[bad["event_type"]])
    data = dict(bad["data"])
    if field == "points":
        criteria = [dict(c) for c in data["criteria"]]
        criteria[rng.randrange(len(criteria))]["points"] = value
        data["criteria"] = criteria
    else:
        data[field] = value
    bad["data"] = data
    return encode(bad)


def _shifted(event: dict, rng: random.Random, days: int) -> bytes:
    at = datetime.fromisoformat(event["occurred_at"]) + timedelta(days=days)
    return encode({**_fresh(event, rng), "occurred_at": iso(at)})


def _future_timestamp(event: dict, rng: random.Random) -> bytes:
    return _shifted(event, rng, rng.randint(5 * 365, 10 * 365))


def _before_system_start(event: dict, rng: random.Random) -> bytes:
    at = datetime.fromisoformat(event["occurred_at"])
    return encode({**_fresh(event, rng), "occurred_at": iso(at.replace(year=rng.randint(2010, 2016)))})


def _unsupported_schema_version(event: dict, rng: random.Random) -> bytes:
    return encode({**_fresh(event, rng), "schema_version": 2})


def _number_out_of_range(event: dict, rng: random.Random) -> bytes:
    # valid JSON that PostgreSQL's jsonb refuses, in a field the contract does not know
    return encode({**_fresh(event, rng), "x_weight": 0}).replace(b'"x_weight":0', b'"x_weight":1e999999')


def _empty_value(event: dict, rng: random.Random) -> bytes:
    return b""


def _conflict(event: dict, rng: random.Random) -> bytes:
    """Same event_id, other content."""
    at = datetime.fromisoformat(event["occurred_at"]) + timedelta(minutes=rng.randint(1, 180))
    return encode({**event, "occurred_at": iso(at)})


STAFF_FAULTS: dict[str, Callable[[dict, random.Random], bytes]] = {
    L.INVALID_JSON: _invalid_json, L.WRONG_TYPE: _wrong_type, L.UNKNOWN_EVENT_TYPE: _unknown_event_type,
    L.MISSING_FIELD: _missing_field, L.INVALID_VALUE: _invalid_value,
    L.TIMESTAMP_WITHOUT_OFFSET: _timestamp_without_offset, L.INVALID_UTF8: _invalid_utf8,
    L.NUL_CHARACTER: _nul_character, L.FUTURE_TIMESTAMP: _future_timestamp,
    L.BEFORE_SYSTEM_START: _before_system_start, L.UNSUPPORTED_SCHEMA_VERSION: _unsupported_schema_version,
    L.NUMBER_OUT_OF_RANGE: _number_out_of_range, L.EMPTY_VALUE: _empty_value, L.CONFLICT: _conflict,
    L.TOO_LARGE: _too_large,
}
STAFF_FAULT_CLASSES: tuple[str, ...] = tuple(STAFF_FAULTS)

Entry = tuple  # (arrival night, seconds into the night, Message), as faults.Entry


class StaffDelivery:
    """Turns staff events into messages; keeps the turn of the fault classes across calls."""

    def __init__(self, seed: int, malformed: float, duplicate: float) -> None:
        self.rng = random.Random(f"{seed}:staff:faults")
        self.malformed = malformed
        self.duplicate = duplicate
        self.turn = itertools.cycle(STAFF_FAULT_CLASSES)
        self.uncovered = len(STAFF_FAULT_CLASSES)  # classes not shown yet

    def deliver(self, events: list[StaffEvent]) -> list[Entry]:
        out: list[Entry] = []
        rng = self.rng
        for at, key, event in events:
            day, position, value = at.date(), position_in_day(at), encode(event)
            out.append((day, position, Message(key, value, L.VALID, day, day, STAFF)))
            if self.duplicate and rng.random() < self.duplicate:
                out.append((day, position + rng.uniform(0.5, 600), Message(key, value, L.DUPLICATE, day, day, STAFF)))
            if self.malformed and (self.uncovered or rng.random() < self.malformed):
                self.uncovered = max(0, self.uncovered - 1)
                label = next(self.turn)
                broken = STAFF_FAULTS[label](event, rng)
                # a conflict must come after the original to be the one refused
                out.append((day, position + (1.0 if label == L.CONFLICT else rng.uniform(0.1, 60)),
                            Message(key, broken, label, day, day, STAFF)))
        return out
