"""Keep personal data out of the gate's own artefacts (Data Docs, GX JSON, SQL history).

GX samples unexpected values into its results. If an ID number or a phone number leaked into
a mart column that also fails another check (say a status outside its set), the sample would
carry it into Data Docs, which BI users and officers may read. Every string in a result that
looks like personal data is replaced before anything is rendered or stored.
"""
from __future__ import annotations

import re
from typing import Any

from expectations.suites.marts_sql import PII_VALUE_REGEX

PII_VALUE = re.compile(PII_VALUE_REGEX)
REDACTED = "[redacted: looks like personal data]"


def redact(value: Any) -> Any:
    if isinstance(value, str):
        return REDACTED if PII_VALUE.search(value) else value
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    return value


def redact_suite_result(suite_result: Any) -> None:
    """In place, on an ExpectationSuiteValidationResult."""
    for evr in suite_result.results:
        if evr.result:
            evr.result = redact(evr.result)
