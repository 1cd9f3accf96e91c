"""The two captured topics and what differs between them: contract, raw table, default names.

Everything else (batches, the one-transaction sink, positions, quarantine, redeliveries,
reconciliation) is the same machinery for both: a loader handles one topic, the one its sink's
contract names. Redeliveries, quarantine and consumer positions are shared tables keyed by
kafka_topic.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from ingestion.contract import validate
from ingestion.contract.results import Rejection, ValidEvent
from ingestion.contract.staff_validator import validate_staff

Validator = Callable[..., "ValidEvent | Rejection"]


@dataclass(frozen=True)
class TopicContract:
    name: str                # case | staff
    table: str               # the raw table of its events (schema-qualified, a constant)
    validate: Validator      # validate(value, now=, future_tolerance=, not_before=)
    topic_var: str           # environment variable naming the topic
    default_topic: str
    group_var: str           # environment variable naming the loader's consumer group
    default_group: str

    def topic(self) -> str:
        return os.environ.get(self.topic_var) or self.default_topic

    def group(self) -> str:
        return os.environ.get(self.group_var) or self.default_group


CASE = TopicContract("case", "raw.case_events", validate, "KAFKA_TOPIC", "motcua.case-events",
                     "KAFKA_CONSUMER_GROUP", "motcua-raw-loader")
# Its own consumer group: a rebalance of one loader never pauses the other.
STAFF = TopicContract("staff", "raw.staff_events", validate_staff, "KAFKA_STAFF_TOPIC", "motcua.staff-events",
                      "KAFKA_STAFF_CONSUMER_GROUP", "motcua-staff-loader")
CONTRACTS: dict[str, TopicContract] = {c.name: c for c in (CASE, STAFF)}
