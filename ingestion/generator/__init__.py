"""Deterministic one-stop-shop event generator and Kafka producer.

Start with the docstrings of stream.py (the stream), message.py (labels) and faults.py (rates).
"""
from ingestion.generator.faults import FaultConfigError, FaultRates
from ingestion.generator.message import (
    ALL_LABELS, DISTINCT_VALID_LABELS, EXPECTED_REASON, SCHEMA_INVALID_LABELS, SCHEMA_VALID_FAULT_LABELS,
    Manifest, Message,
)
from ingestion.generator.stream import GeneratorConfig, GeneratorConfigError, generate, select_nights

__all__ = [
    "ALL_LABELS", "DISTINCT_VALID_LABELS", "EXPECTED_REASON", "SCHEMA_INVALID_LABELS", "SCHEMA_VALID_FAULT_LABELS",
    "FaultConfigError", "FaultRates", "GeneratorConfig", "GeneratorConfigError", "Manifest", "Message",
    "generate", "select_nights",
]
