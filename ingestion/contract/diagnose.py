"""The slow path: classify a value that the typed decoder rejected, by the documented priority.

msgspec stops at the first problem it meets while parsing, so on its own it could report a type
error early in a document whose JSON is broken later on. Decoding again, untyped, puts the
checks in the order of reasons.py: JSON syntax, object-ness, schema_version, event_type, then
the first structural error msgspec reported. Only rejected values pay for this.
"""
from __future__ import annotations

import re
from typing import Any

import msgspec

from ingestion.contract import reasons as R
from ingestion.contract.model import EVENT_TYPES
from ingestion.contract.results import Rejection

_KNOWN_TYPES = frozenset(EVENT_TYPES)
# Matched against the lower-cased text: the canonical form is what the loader stores.
UUID_LOWER = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")

# msgspec error messages: "<body>" or "<body> - at `<path>`".
_AT = re.compile(r"^(?P<body>.*?)(?: - at `(?P<path>[^`]*)`)?\Z", re.S)
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]*)`")
# A pure type error: "Expected `str`, got `int`" or, for a union tag, just "Expected `str`".
# "Expected `str` of length <= 32" / "Expected `float` > 0.0" are constraint violations.
_TYPE_ERROR = re.compile(r"^Expected `[^`]*`(?:, got `[^`]*`)?\Z")
_BAD_TAG = re.compile(r"^Invalid (?:enum )?value (?P<value>.*)\Z", re.S)
_TOO_DEEP = "JSON nesting is too deep to parse"


def event_id_from(doc: Any) -> str | None:
    """The canonical event_id of a decoded document, if it has a valid one."""
    if isinstance(doc, dict):
        event_id = doc.get("event_id")
        if isinstance(event_id, str):
            lowered = event_id.lower()
            if UUID_LOWER.match(lowered):
                return lowered
    return None


def event_id_of(value: bytes) -> str | None:
    """event_id_from() for raw bytes that passed no check yet; None when unparseable."""
    try:
        return event_id_from(msgspec.json.decode(value))
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return None


class _Envelope(msgspec.Struct):
    """The three fields that decide the first classes, read without touching the rest."""

    event_id: Any = msgspec.UNSET
    schema_version: Any = msgspec.UNSET
    event_type: Any = msgspec.UNSET


def diagnose(value: bytes, typed_error: Exception, known_types: frozenset[str] = _KNOWN_TYPES) -> Rejection:
    """Classify a value the typed decoder rejected (typed_error is what it raised).

    known_types: the topic's event types (the case topic's by default).
    """
    try:
        doc = msgspec.json.decode(value)
    except RecursionError:
        return Rejection(R.INVALID_JSON, _TOO_DEEP, None)
    except msgspec.ValidationError:  # e.g. 1e400 somewhere: well-formed, but not a Python float
        # Well-formed JSON: its first character tells its type.
        first = value.lstrip(b" \t\r\n")[:1]
        if first != b"{":
            kind = _KIND_BY_FIRST_BYTE.get(first, "a number")
            return Rejection(R.NOT_AN_OBJECT, f"the JSON value is {kind}, not an object", None)
        doc = _envelope(value)
    except msgspec.DecodeError as exc:
        message = str(exc)
        if not message.startswith("JSON is malformed"):  # e.g. "Input data was truncated"
            message = f"JSON is malformed: {message[:1].lower()}{message[1:]}"
        return Rejection(R.INVALID_JSON, message, None)
    else:
        if not isinstance(doc, dict):
            return Rejection(R.NOT_AN_OBJECT, f"the JSON value is {_kind(doc)}, not an object", None)

    event_id = event_id_from(doc)
    if isinstance(doc, dict):
        version = doc.get("schema_version")
        if isinstance(version, (int, float)) and not isinstance(version, bool) and version != 1:
            return Rejection(R.UNSUPPORTED_SCHEMA_VERSION,
                             f"`$.schema_version` is {version!r}; only 1 is supported", event_id)
        event_type = doc.get("event_type")
        if isinstance(event_type, str):
            if event_type not in known_types:
                return Rejection(R.UNKNOWN_EVENT_TYPE,
                                 f"`$.event_type`: {event_type!r} is not a known event type", event_id)
        elif "event_type" in doc:  # present, but null, a number, an object...
            return Rejection(R.WRONG_TYPE, f"`$.event_type`: Expected `str`, got {_kind(event_type)}",
                             event_id)
    if isinstance(typed_error, RecursionError):
        return Rejection(R.INVALID_JSON, _TOO_DEEP, event_id)
    reason, detail = classify_msgspec_error(str(typed_error), known_types)
    return Rejection(reason, detail, event_id)


def _envelope(value: bytes) -> dict[str, Any] | None:
    try:
        envelope = msgspec.json.decode(value, type=_Envelope)
    except (msgspec.DecodeError, RecursionError):
        return None
    fields = ((name, getattr(envelope, name)) for name in envelope.__struct_fields__)
    return {name: field for name, field in fields if field is not msgspec.UNSET}


def classify_msgspec_error(message: str, known_types: frozenset[str] = _KNOWN_TYPES) -> tuple[str, str]:
    """Map a msgspec decode error message to (reason class, detail naming the JSON path)."""
    match = _AT.match(message)
    body, path = (match["body"], match["path"] or "$") if match else (message, "$")
    missing = _MISSING.match(body)
    if missing is not None:
        return R.MISSING_FIELD, f"`{path}.{missing['field']}`: required field is missing"
    if body.startswith(("JSON is malformed", "Input data was truncated")):
        return R.INVALID_JSON, body
    if _TYPE_ERROR.match(body):
        if path == "$":
            return R.NOT_AN_OBJECT, f"the JSON value is not an object: {body}"
        return R.WRONG_TYPE, f"`{path}`: {body}"
    bad_tag = _BAD_TAG.match(body)
    if bad_tag is not None and path == "$.event_type":
        # msgspec also says "Invalid value" when a duplicate `event_type` key names another
        # (known) type than the first one: ambiguous, not unknown.
        if bad_tag["value"].strip("'\"") in known_types:
            return R.INVALID_VALUE, f"`{path}`: conflicting duplicate keys ({body})"
        return R.UNKNOWN_EVENT_TYPE, f"`{path}`: {body}"
    # Constraint violations ("Expected `str` of length <= 32", "Invalid enum value 'x'",
    # "Number out of range", ...) and whatever a later msgspec may word differently.
    return R.INVALID_VALUE, f"`{path}`: {body}"


_KIND_BY_FIRST_BYTE = {b"[": "an array", b'"': "a string", b"t": "a boolean", b"f": "a boolean",
                       b"n": "null"}


def _kind(doc: Any) -> str:
    if doc is None:
        return "null"
    if isinstance(doc, bool):
        return "a boolean"
    if isinstance(doc, (int, float)):
        return "a number"
    if isinstance(doc, str):
        return "a string"
    if isinstance(doc, dict):
        return "an object"
    return "an array"
