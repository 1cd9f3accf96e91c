"""Contract-valid messages at the edges of the schema, each with the outcome it must have.

Every message here is valid against case-event.schema.json (schema_version 1). The loader and the
layers after it may still decide it cannot count: then it must be listed with a reason, either in
raw.quarantine (decided at capture) or in staging.stg_motcua__rejected_events (decided later).
Each edge below states which, by hand, from the documented rules:

  figures                 in staging.stg_motcua__case_events (and, for a receipt, in fct_cases)
  quarantine:<reason>     the loader quarantines it with that reason
  rejected:<reason>       loaded, then left out of the figures and listed with that reason

Deterministic: everything comes from one random.Random(seed). Lifecycles are in time order
(receipt first), so the fuzz adds no completion-before-receipt, which the gate rightly judges as
a share over the day's cases.
"""
from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

FIGURES = "figures"
VN = timezone(timedelta(hours=7))

# No digits: a free text with 9-12 digits would (rightly) trip the marts' personal-data check.
ALPHABET = ("aăâbcdđeêghiklmnoôơpqrstuưvxyÁÀẢÃẠẮẰẲẴẶẤẦẨẪẬÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
            " -_'\"\\/\t\n€😀𝔘\u202eٮ中文")  # \u202e: right-to-left override


@dataclass
class FuzzMessage:
    event_id: str
    event_type: str
    case_id: str
    value: bytes
    expected: str          # FIGURES | quarantine:<reason> | rejected:<reason>
    edges: list[str]       # what was done to it, for the assertion message


def text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


def ident(rng: random.Random, length: int, prefix: str) -> str:
    """An identifier of exactly `length` characters (schema maxLength counts characters)."""
    return (prefix + text(rng, length))[:length]


class Builder:
    """One message: a dict, number literals to splice into its JSON text, and its expectation."""

    def __init__(self, event: dict):
        self.event = event
        self.literals: dict[str, str] = {}
        self.expected = FIGURES
        self.edges: list[str] = []

    def number(self, path: tuple[str, ...], literal: str) -> None:
        """Put `literal` verbatim as the JSON number at `path` (json.dumps cannot write 5.000)."""
        marker = f"__number_{len(self.literals)}__"
        target = self.event
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = marker
        self.literals[f'"{marker}"'] = literal

    def expect(self, outcome: str, edge: str) -> None:
        # The first decisive edge wins, as the loader's check order (reasons.py) and staging's
        # first-matching reason do; the fuzz applies at most one decisive edge per message.
        if self.expected == FIGURES:
            self.expected = outcome
        self.edges.append(edge)

    def encode(self, rng: random.Random) -> bytes:
        out = json.dumps(self.event, ensure_ascii=rng.random() < 0.5, separators=rng.choice([(",", ":"), (", ", ": ")]))
        for marker, literal in self.literals.items():
            out = out.replace(marker, literal)
        return out.encode()


def iso(at: datetime, rng: random.Random) -> str:
    """The same instant in one of the RFC 3339 spellings the contract accepts."""
    form = rng.randrange(7)
    if form == 0:
        return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if form == 1:
        return at.astimezone(timezone.utc).strftime("%Y-%m-%dt%H:%M:%Sz")                  # lower-case t and z
    if form == 2:
        return at.astimezone(timezone(timedelta(hours=14))).isoformat()                      # the largest offset
    if form == 3:
        return at.astimezone(timezone(timedelta(hours=-12))).isoformat()                     # the smallest
    if form == 4:
        return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000000001-00:00")    # 9 fraction digits
    if form == 5:
        return at.astimezone(timezone(timedelta(hours=5, minutes=45))).isoformat()           # Nepal, odd minutes
    return at.astimezone(VN).isoformat()


# ---------------------------------------------------------------------------------- the edges
# Each edge mutates a Builder; decisive ones (not figures) are applied once per message at most.

def edge_numbers_extra(b: Builder, rng: random.Random) -> None:
    literal = rng.choice(["1e131071", "-1e-16383", "0e999999", "-0", "1.5E+300", "123456789.123456789e-3",
                          "0." + "0" * 100 + "1"])
    b.event["x_number"] = None
    b.number(("x_number",), literal)
    b.edges.append(f"extra number {literal[:20]}")


def edge_unknown_fields(b: Builder, rng: random.Random) -> None:
    b.event["x_nested"] = {"ẋ": [None, True, {"deep": {"deeper": [text(rng, 5), []]}}], "": {}}
    b.event[text(rng, 8)] = text(rng, 40)
    b.edges.append("unknown fields")


def edge_schema_version(b: Builder, rng: random.Random) -> None:
    literal = rng.choice(["1.0", "1e0", "10e-1", "0.1e1", "1.000000000000000000000"])
    b.number(("schema_version",), literal)
    b.edges.append(f"schema_version {literal}")


def edge_officer_null(b: Builder, rng: random.Random) -> None:
    b.event["officer_id"] = None
    b.edges.append("officer_id null")


def edge_source(b: Builder, rng: random.Random) -> None:
    if rng.random() < 0.5:
        b.event.pop("source", None)
    else:
        b.event["source"] = text(rng, 128)
    b.edges.append("source absent or 128 characters")


COMMON_EDGES: list[Callable[[Builder, random.Random], None]] = [
    edge_numbers_extra, edge_unknown_fields, edge_schema_version, edge_officer_null, edge_source,
]


def decisive_edges(event_type: str) -> list[tuple[str, Callable[[Builder, random.Random], None]]]:
    """Edges with an outcome other than `figures`, valid for this event type."""
    edges: list[tuple[str, Callable[[Builder, random.Random], None]]] = [
        ("quarantine:number_out_of_range", lambda b, r: (b.event.__setitem__("x_huge", None),
                                                         b.number(("x_huge",), r.choice(["1e999999", "-1e131072",
                                                                                         "1e-16384"])))),
        ("quarantine:before_system_start", lambda b, r: b.event.__setitem__(
            "occurred_at", r.choice(["0001-01-01T00:00:00Z", "2017-12-31T23:59:59+07:00"]))),
        ("rejected:occurred_outside_working_calendar", lambda b, r: b.event.__setitem__(
            "occurred_at", r.choice(["2018-01-01T00:00:00+07:00", "2019-12-31T16:59:59Z"]))),
    ]
    if event_type == "case.received":
        edges.append(("rejected:due_at_outside_working_calendar", lambda b, r: b.event["data"].__setitem__(
            "due_at", r.choice(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+00:00", "2032-01-01T08:00:00+07:00"]))))
    if event_type == "case.extended":
        edges.append(("rejected:new_due_at_outside_working_calendar", lambda b, r: b.event["data"].__setitem__(
            "new_due_at", "9999-12-31T23:59:59+14:00")))
    if event_type == "case.rated":
        edges.append(("quarantine:wrong_type", lambda b, r: b.number(("data", "score"), "4.99999999999999999999")))
    return edges


# ------------------------------------------------------------------------------- the lifecycle
def lifecycle(rng: random.Random, case_no: int, start: datetime, decisive_rate: float) -> list[FuzzMessage]:
    """One case's events in time order, each with common edges and maybe one decisive edge."""
    case_id = ident(rng, rng.choice([64, 20, 1]), f"FZ{case_no:04d}-") if rng.random() < 0.5 else f"FZ-{case_no:05d}"
    agency = rng.choice(["SKHDT", "STP", ident(rng, 32, "AG-")])
    officer = rng.choice(["CB0001", ident(rng, 32, "CB-"), "CB0002"])
    received_at = start + timedelta(minutes=rng.randrange(0, 5 * 24 * 60))
    due = received_at + timedelta(days=rng.randrange(1, 20))
    plan = [("case.received", 0)]
    plan.append(("case.assigned", 60))
    if rng.random() < 0.4:
        plan += [("case.returned", 120), ("case.resubmitted", 180)]
    if rng.random() < 0.3:
        plan.append(("case.extended", 240))
    if rng.random() < 0.15:
        plan.append(("case.withdrawn", 300))
    else:
        plan += [("case.completed", 24 * 60), ("case.delivered", 25 * 60), ("case.rated", 26 * 60)]
        if rng.random() < 0.3:
            plan.append(("case.complained", 27 * 60))
    out = []
    for event_type, minutes in plan:
        at = received_at + timedelta(minutes=minutes)
        event = {
            "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "event_type": event_type, "schema_version": 1, "occurred_at": iso(at, rng),
            "source": "motcua.fuzz", "case_id": case_id, "agency_code": agency, "officer_id": officer,
        }
        data = event_data(event_type, rng, at, due, officer)
        if data is not None:
            event["data"] = data
        b = Builder(event)
        for edge in COMMON_EDGES:
            if rng.random() < 0.2:
                edge(b, rng)
        number_edges(b, rng)
        if rng.random() < decisive_rate:
            outcome, apply = rng.choice(decisive_edges(event_type))
            apply(b, rng)
            b.expect(outcome, outcome)
        out.append(FuzzMessage(event["event_id"], event_type, case_id, b.encode(rng), b.expected, b.edges))
    return out


def event_data(event_type: str, rng: random.Random, at: datetime, due: datetime, officer: str) -> dict | None:
    if event_type == "case.received":
        data = {"procedure_code": ident(rng, rng.choice([1, 32]), "TT"), "channel": rng.choice(["in_person", "online", "postal"]),
                "processing_days": 3, "due_at": iso(due, rng)}
        if rng.random() < 0.5:
            data["procedure_name"] = text(rng, 512)
            data["sector_code"] = rng.choice(["", ident(rng, 32, "LV")])
        applicant = rng.choice([{}, {"full_name": text(rng, 256)}, {"id_number": "001090012345", "phone": ""},
                                {"id_number": "123456789", "full_name": "Nguyễn Thị 😀", "phone": text(rng, 32)}])
        if rng.random() < 0.8:
            data["applicant"] = applicant
        return data
    if event_type == "case.assigned":
        return {"to_officer_id": rng.choice([officer, ident(rng, 32, "XL-")]),
                **({"department_code": ""} if rng.random() < 0.3 else {})}
    if event_type == "case.returned":
        return {"reason_code": rng.choice(["missing_document", "incorrect_information", "wrong_form", "other"]),
                **({"reason_text": text(rng, 2000)} if rng.random() < 0.5 else {})}
    if event_type == "case.extended":
        return {"new_due_at": iso(due + timedelta(days=rng.randrange(1, 10)), rng),
                **({"reason_text": text(rng, 2000)} if rng.random() < 0.5 else {})}
    if event_type == "case.completed":
        return {"outcome": rng.choice(["approved", "refused"]),
                **({"reason_text": ""} if rng.random() < 0.3 else {})}
    if event_type == "case.rated":
        return {"score": 4, **({"comment": text(rng, 2000)} if rng.random() < 0.5 else {})}
    if event_type == "case.complained":
        return {"category": rng.choice(["attitude", "process", "guidance", "delay", "other"]),
                **({"text": text(rng, 4000)} if rng.random() < 0.5 else {})}
    # resubmitted, delivered, withdrawn: the contract leaves data open (any object, or absent)
    return rng.choice([None, {}, {"anything": [1, "hai", {"ba": None}]}])


def number_edges(b: Builder, rng: random.Random) -> None:
    """The contract's numbers in the notations JSON allows, all meaning an allowed value."""
    data = b.event.get("data") or {}
    if "processing_days" in data and rng.random() < 0.7:
        literal = rng.choice(["3.0", "3e0", "0.3e1", "3.000000000000000000000000001", "0.5", "365", "1e-300",
                              "2.5E+0", "364.99999999999999999999"])
        b.number(("data", "processing_days"), literal)
        b.edges.append(f"processing_days {literal}")
    if "score" in data and rng.random() < 0.8:
        literal = rng.choice(["4.0", "4e0", "5.000", "1E0", "0.3e1", "2.00000000000000000000", "5", "1"])
        b.number(("data", "score"), literal)
        b.edges.append(f"score {literal}")


def fuzz_messages(seed: int, cases: int, start: datetime, decisive_rate: float = 0.04) -> list[FuzzMessage]:
    rng = random.Random(seed)
    out: list[FuzzMessage] = []
    for case_no in range(cases):
        out += lifecycle(rng, case_no, start, decisive_rate)
    return out
