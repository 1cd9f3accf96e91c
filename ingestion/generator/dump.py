"""Messages to and from JSON Lines, for dry runs and for replaying without Kafka.

One object per line: key (str), label, occurred_on, arrival_day, stream (only when "staff"), and
the value either as
`value` (text, when it is valid UTF-8: re-encoding gives the exact bytes back) or as
`value_b64` (base64 of the exact bytes, for the invalid_utf8 class).
"""
from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import msgspec

from ingestion.generator.message import Message

_encode = msgspec.json.Encoder().encode


def message_to_line(message: Message) -> bytes:
    row: dict[str, str] = {"key": message.key.decode(), "label": message.label,
                           "occurred_on": message.occurred_on.isoformat(),
                           "arrival_day": message.arrival_day.isoformat()}
    if message.stream != "case":
        row["stream"] = message.stream
    try:
        row["value"] = message.value.decode("utf-8")
    except UnicodeDecodeError:
        row["value_b64"] = base64.b64encode(message.value).decode()
    return _encode(row) + b"\n"


def write_jsonl(messages: Iterable[Message], path: Path | str) -> Iterator[Message]:
    """Write each message to `path` while passing it through."""
    with open(path, "wb") as out:
        for message in messages:
            out.write(message_to_line(message))
            yield message


def read_jsonl(path: Path | str) -> Iterator[Message]:
    with open(path, "rb") as handle:
        for line in handle:
            row = msgspec.json.decode(line)
            value = row["value"].encode("utf-8") if "value" in row else base64.b64decode(row["value_b64"])
            yield Message(row["key"].encode(), value, row["label"], date.fromisoformat(row["occurred_on"]),
                          date.fromisoformat(row["arrival_day"]), row.get("stream", "case"))
