"""Generated variants of the examples: our validator and the reference agree on every one.

Structured: every field of every example replaced by each of a set of JSON values, or deleted
(two-way agreement). Textual: random one-character edits of the JSON text (validate() never
raises, and whatever it accepts the reference accepts too).
"""
from __future__ import annotations

import json
import random
from typing import Any

import pytest
from tests.ingestion.contract.contract_samples import EXAMPLES, NOW, doc, reference_validator

from ingestion.contract import REASONS, EVENT_TYPES, Rejection, ValidEvent, validate

DELETE = object()
REFERENCE = reference_validator()
# Few but telling: the reference validator is slow (about 1 ms a document here).
VALUES: list[Any] = [
    DELETE, None, True, 0, 1.5, 4.0, "", "x" * 65, "2026-03-02T09:15:00+07:00", "2026-03-02T09:15:00",
    "6b7c8d9e-0f1a-4b2c-9d4e-5f60718293a4", [],
]
EXTRA_KEYS = ["officer_id", "data", "source", "data.applicant", "data.comment", "unknown"]


def leaf_paths(document: dict[str, Any], prefix: str = "") -> list[str]:
    paths = []
    for key, value in document.items():
        path = prefix + key
        paths.append(path)
        if isinstance(value, dict):
            paths += leaf_paths(value, path + ".")
    return paths


def edited(event_type: str, path: str, value: Any) -> dict[str, Any] | None:
    document = doc(event_type)
    *parents, key = path.split(".")
    target = document
    for parent in parents:
        target = target.get(parent)
        if not isinstance(target, dict):
            return None
    if value is DELETE:
        if key not in target:
            return None
        del target[key]
    else:
        target[key] = value
    return document


def variants() -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for event_type in EVENT_TYPES:
        for path in leaf_paths(doc(event_type)) + EXTRA_KEYS:
            for index, value in enumerate(VALUES):
                document = edited(event_type, path, value)
                if document is not None:
                    rows.append((f"{event_type} {path} #{index}", document))
    return rows


def test_structured_variants_agree_both_ways():
    rows = variants()
    assert len(rows) > 1500
    disagreements = []
    accepted = 0
    for name, document in rows:
        expected = REFERENCE.is_valid(document)
        result = validate(json.dumps(document, ensure_ascii=False).encode(), now=NOW)
        accepted += isinstance(result, ValidEvent)
        if isinstance(result, ValidEvent) is not expected:
            disagreements.append((name, result))
    assert disagreements == []
    assert 200 < accepted < len(rows) - 200  # both outcomes are well represented


@pytest.mark.parametrize("seed", range(3))
def test_random_text_edits_never_raise_and_never_accept_what_the_reference_rejects(seed):
    rng = random.Random(seed)
    alphabet = '{}[]":,0123456789.eE+-tfnulTZ \\ux\u00e9'
    texts = [text for text, _ in EXAMPLES.values()]
    accepted = 0
    for _ in range(1500):
        chars = list(rng.choice(texts))
        for _ in range(rng.randrange(1, 3)):
            position = rng.randrange(len(chars))
            action = rng.randrange(3)
            if action == 0:
                del chars[position]
            elif action == 1:
                chars.insert(position, rng.choice(alphabet))
            else:
                chars[position] = rng.choice(alphabet)
        value = "".join(chars).encode("utf-8", "surrogatepass")
        result = validate(value, now=NOW)
        assert isinstance(result, (ValidEvent, Rejection))
        if isinstance(result, Rejection):
            assert result.reason in REASONS and result.reason != "event_id_conflict"
            continue
        accepted += 1
        assert REFERENCE.is_valid(json.loads(value)), value
    assert accepted > 100


def test_random_bytes_are_rejected_without_raising():
    rng = random.Random(7)
    for _ in range(500):
        value = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        result = validate(b"{" + value if rng.random() < 0.5 else value, now=NOW)
        assert isinstance(result, Rejection) and result.reason in REASONS
