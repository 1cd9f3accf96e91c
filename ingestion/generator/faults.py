"""Delivery of one case's events as Kafka messages, with faults injected on demand.

Every rate is a probability per distinct valid event (out_of_order: per case with at least two
delivered events; impossible_time_order: per completed/delivered/rated event). All rates are 0
by default. Faults draw from their own random stream, so enabling them never changes the
valid events: with the same seed, the valid stream is identical with and without faults
(minus the events replaced by impossible_time_order / future_timestamp).
See message.py for what each label means.
"""
from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from functools import lru_cache

import msgspec

from ingestion.generator import message as L
from ingestion.generator.lifecycle import iso, new_event_id
from ingestion.generator.message import Message
from motcua.errors import PermanentError

_ENCODER = msgspec.json.Encoder()
encode = _ENCODER.encode
LATE_DELAYS = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 7, 10, 14)  # nights after occurred_at
LATER_EVENTS = frozenset({"case.completed", "case.delivered", "case.rated"})
UNKNOWN_TYPES = ("case.reopened", "case.transferred", "case.paid", "CASE_RECEIVED")
# Classes spread by `--malformed R` (R / len each). too_large is separate: 1+ MB each.
MALFORMED_SPREAD = (L.INVALID_JSON, L.WRONG_TYPE, L.UNKNOWN_EVENT_TYPE, L.MISSING_FIELD,
                    L.TIMESTAMP_WITHOUT_OFFSET, L.INVALID_UTF8, L.NUL_CHARACTER,
                    L.IMPOSSIBLE_TIME_ORDER, L.FUTURE_TIMESTAMP, L.CONFLICT)


class FaultConfigError(PermanentError, ValueError):
    """A fault rate outside [0, 1] or an unknown fault name."""


@dataclass(frozen=True)
class FaultRates:
    duplicate: float = 0.0
    out_of_order: float = 0.0
    late: float = 0.0
    conflict: float = 0.0
    impossible_time_order: float = 0.0
    future_timestamp: float = 0.0
    invalid_json: float = 0.0
    wrong_type: float = 0.0
    unknown_event_type: float = 0.0
    missing_field: float = 0.0
    timestamp_without_offset: float = 0.0
    invalid_utf8: float = 0.0
    nul_character: float = 0.0
    too_large: float = 0.0
    long_gap_share: float = 0.3  # share of duplicates redelivered 1-30 nights later

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise FaultConfigError(f"fault rate {f.name}={value} is outside [0, 1]")

    @property
    def any(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name != "long_gap_share")

    @classmethod
    def build(cls, malformed: float = 0.0, **rates: float) -> FaultRates:
        """Rates with `malformed` spread evenly over MALFORMED_SPREAD; explicit names win."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(rates) - names)
        if unknown:
            raise FaultConfigError(f"unknown fault names {unknown}; known: {sorted(names)}")
        spread = {name: malformed / len(MALFORMED_SPREAD) for name in MALFORMED_SPREAD}
        return cls(**{**spread, **rates})


# -- broken copies (each with a fresh event_id so it never collides with a real event) --------
def _fresh(event: dict, rng: random.Random) -> dict:
    return {**event, "event_id": new_event_id(rng)}


def _invalid_json(event: dict, rng: random.Random) -> bytes:
    raw = encode(_fresh(event, rng))
    variant = rng.randrange(3)
    if variant == 0:
        # truncated: the object never closes; cut at a character boundary so the bytes stay
        # valid UTF-8 (otherwise the validator rightly reports invalid_utf8 first)
        cut = rng.randrange(1, len(raw) - 1)
        while 0x80 <= raw[cut] < 0xC0:
            cut -= 1
        return raw[:cut]
    if variant == 1:
        return raw + b"}"  # trailing data
    return repr(_fresh(event, rng)).encode()  # a Python dict repr: single quotes, None


def _wrong_type(event: dict, rng: random.Random) -> bytes:
    bad = _fresh(event, rng)
    data = dict(bad["data"]) if isinstance(bad.get("data"), dict) else None
    options = ["occurred_at", "case_id", "agency_code"]
    if bad.get("officer_id") is not None:
        options.append("officer_id")
    if data is not None:
        options.append("data")
    if data and "processing_days" in data:
        options.append("processing_days")
    if data and "score" in data:
        options.append("score")
    choice = rng.choice(options)
    if choice == "occurred_at":
        bad["occurred_at"] = int(datetime.fromisoformat(bad["occurred_at"]).timestamp())
    elif choice in ("case_id", "agency_code", "officer_id"):
        bad[choice] = rng.randint(1, 99999)
    elif choice == "data":
        bad["data"] = list(data.values())  # type: ignore[union-attr]
    else:
        data[choice] = str(data[choice])  # type: ignore[index]
        bad["data"] = data
    return encode(bad)


def _unknown_event_type(event: dict, rng: random.Random) -> bytes:
    return encode({**_fresh(event, rng), "event_type": rng.choice(UNKNOWN_TYPES)})


def _missing_field(event: dict, rng: random.Random) -> bytes:
    bad = _fresh(event, rng)
    options = ["event_id", "occurred_at", "case_id", "agency_code", "event_type"]
    required_data = {"case.received": "due_at", "case.completed": "outcome", "case.returned": "reason_code",
                     "case.rated": "score", "case.assigned": "to_officer_id"}.get(bad["event_type"])
    if required_data:
        options.append("data." + required_data)
    choice = rng.choice(options)
    if choice.startswith("data."):
        bad["data"] = {k: v for k, v in bad["data"].items() if k != choice[5:]}
    else:
        del bad[choice]
    return encode(bad)


def _timestamp_without_offset(event: dict, rng: random.Random) -> bytes:
    naive = datetime.fromisoformat(event["occurred_at"]).replace(tzinfo=None)
    return encode({**_fresh(event, rng), "occurred_at": naive.isoformat(timespec="seconds")})


def _invalid_utf8(event: dict, rng: random.Random) -> bytes:
    raw = encode(_fresh(event, rng))
    marker = b'"source":"'
    at = raw.index(marker) + len(marker)
    return raw[:at] + rng.choice((b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80")) + raw[at:]


def _nul_character(event: dict, rng: random.Random) -> bytes:
    return encode({**_fresh(event, rng), "source": event["source"] + "\u0000"})


def _too_large(event: dict, rng: random.Random) -> bytes:
    bad = _fresh(event, rng)
    # 1.13-1.47 MB of base64: above the 1 MB loader limit, below the broker's 2 MiB.
    blob = base64.b64encode(rng.randbytes(rng.randint(850_000, 1_100_000))).decode()
    bad["data"] = {**(bad.get("data") or {}), "attachment_base64": blob}
    return encode(bad)


BROKEN_COPIES = {
    L.INVALID_JSON: _invalid_json, L.WRONG_TYPE: _wrong_type, L.UNKNOWN_EVENT_TYPE: _unknown_event_type,
    L.MISSING_FIELD: _missing_field, L.TIMESTAMP_WITHOUT_OFFSET: _timestamp_without_offset,
    L.INVALID_UTF8: _invalid_utf8, L.NUL_CHARACTER: _nul_character, L.TOO_LARGE: _too_large,
}


def _conflicting(event: dict, rng: random.Random) -> dict:
    """Same event_id, other content: re-timed, or attributed to another officer."""
    if event.get("officer_id") is not None and rng.random() < 0.5:
        return {**event, "officer_id": f"CB{rng.randint(9000, 9999)}"}
    shifted = datetime.fromisoformat(event["occurred_at"]) + timedelta(minutes=rng.randint(1, 180))
    return {**event, "occurred_at": iso(shifted)}


def position_in_day(at: datetime) -> float:
    """Where a message goes within its night: seconds since local midnight of occurred_at."""
    return at.hour * 3600 + at.minute * 60 + at.second


def _night_time(rng: random.Random) -> float:
    """A position within a later night's production: 07:00-22:00 of that day."""
    return rng.uniform(7 * 3600, 22 * 3600)


@lru_cache(maxsize=64)
def _active_copies(rates: FaultRates) -> tuple[tuple[str, float, Callable[[dict, random.Random], bytes]], ...]:
    return tuple((name, getattr(rates, name), build) for name, build in BROKEN_COPIES.items() if getattr(rates, name))


# -- one case --------------------------------------------------------------------------------
Entry = tuple[date, float, Message]  # (arrival night, seconds into that night's day, message)


def deliver_plain(key: bytes, events: list[tuple[datetime, dict]]) -> list[Entry]:
    """No faults: every event on the night it occurred, in time order."""
    out = []
    for at, event in events:
        day = at.date()
        out.append((day, position_in_day(at), Message(key, encode(event), L.VALID, day, day)))
    return out


def deliver_with_faults(
    key: bytes, events: list[tuple[datetime, dict]], rates: FaultRates, rng: random.Random
) -> list[Entry]:
    received_at = events[0][0]  # the receipt is always the first event of a case
    rows = []  # [arrival, position, label, occurred_on, event, value]
    for at, event in events:
        label, shown = L.VALID, at
        if rates.impossible_time_order and event["event_type"] in LATER_EVENTS \
                and rng.random() < rates.impossible_time_order:
            label, shown = L.IMPOSSIBLE_TIME_ORDER, received_at - timedelta(minutes=rng.randint(60, 5 * 1440))
        elif rates.future_timestamp and rng.random() < rates.future_timestamp:
            label, shown = L.FUTURE_TIMESTAMP, at + timedelta(days=rng.randint(5 * 365, 10 * 365))
        if label != L.VALID:
            event = {**event, "occurred_at": iso(shown)}
        arrival, position = at.date(), position_in_day(at)
        if label == L.VALID and rates.late and rng.random() < rates.late:
            arrival = arrival + timedelta(days=rng.choice(LATE_DELAYS))
            label, position = L.LATE, _night_time(rng)
        rows.append([arrival, position, label, shown.date(), event, encode(event)])

    if (rates.out_of_order and len(rows) > 1 and rows[0][2] in (L.VALID, L.LATE)
            and rng.random() < rates.out_of_order):
        last = max((r[0], r[1]) for r in rows[1:])
        rows[0][0], rows[0][1] = max((rows[0][0], rows[0][1]), (last[0], last[1] + 1.0))
        rows[0][2] = L.OUT_OF_ORDER

    copies = _active_copies(rates)
    out: list[Entry] = []
    for arrival, position, label, occurred_on, event, value in rows:
        out.append((arrival, position, Message(key, value, label, occurred_on, arrival)))
        if label not in L.DISTINCT_VALID_LABELS:
            continue
        if rates.duplicate and rng.random() < rates.duplicate:
            if rng.random() < rates.long_gap_share:
                night = arrival + timedelta(days=rng.randint(1, 30))
                out.append((night, _night_time(rng), Message(key, value, L.DUPLICATE, occurred_on, night)))
            else:
                out.append((arrival, position + rng.uniform(0.5, 600), Message(key, value, L.DUPLICATE, occurred_on, arrival)))
        if rates.conflict and rng.random() < rates.conflict:
            night = arrival + timedelta(days=rng.choice((0, 0, 1, 2, 7)))
            when = position + 1.0 if night == arrival else _night_time(rng)
            out.append((night, when, Message(key, encode(_conflicting(event, rng)), L.CONFLICT, occurred_on, night)))
        for name, rate, build in copies:
            if rng.random() < rate:
                out.append((arrival, position + rng.uniform(0.1, 60), Message(key, build(event, rng), name, occurred_on, arrival)))
    return out
