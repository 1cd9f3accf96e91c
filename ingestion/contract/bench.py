"""Quick single-core speed check of validate(): `python -m ingestion.contract.bench [N]`.

Prints events/s in CPU time (process_time), which other processes on a shared machine disturb
less than wall-clock time, and wall-clock time for comparison. Best of 5 runs.
"""
from __future__ import annotations

import sys
import time
import timeit
from datetime import datetime, timezone

from ingestion.contract import ValidEvent, validate

# The contract README's example: one case.received of ~590 bytes with Vietnamese text.
EXAMPLE = """{"event_id": "0b7d3c1e-8f2a-4a53-9d0e-2f4c1a9b7e11", "event_type": "case.received",
 "schema_version": 1, "occurred_at": "2026-03-02T09:15:00+07:00", "source": "motcua.skhdt.hanoi",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0042",
 "data": {"procedure_code": "1.001612", "procedure_name": "Đăng ký thành lập doanh nghiệp tư nhân",
          "sector_code": "DKKD", "channel": "online", "processing_days": 3,
          "due_at": "2026-03-05T09:15:00+07:00",
          "applicant": {"id_number": "001090012345", "full_name": "Nguyễn Văn A"}}}""".encode()
# A lighter, more frequent kind of event (one timestamp, no personal data).
ASSIGNED = """{"event_id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "event_type": "case.assigned",
 "schema_version": 1, "occurred_at": "2026-03-02T10:00:00+07:00", "source": "motcua.skhdt.hanoi",
 "case_id": "000.00.12.H26-260302-0001", "agency_code": "SKHDT", "officer_id": "CB0042",
 "data": {"to_officer_id": "CB0107", "department_code": "PDKKD"}}""".encode()


def measure(value: bytes, number: int) -> dict[str, float]:
    now = datetime(2026, 3, 10, tzinfo=timezone.utc)
    assert isinstance(validate(value, now=now), ValidEvent)
    rates = {}
    for name, timer in (("cpu", time.process_time), ("wall", time.perf_counter)):
        best = min(timeit.repeat(lambda: validate(value, now=now), number=number, repeat=5, timer=timer))
        rates[name] = number / best
    return rates


def main(argv: list[str]) -> None:
    number = int(argv[0]) if argv else 100_000
    for name, value in (("case.received", EXAMPLE), ("case.assigned", ASSIGNED)):
        rates = measure(value, number)
        print(f"validate(): {len(value)}-byte {name}, {number} calls x 5: "
              f"{rates['cpu']:,.0f} events/s (CPU time), {rates['wall']:,.0f} events/s (wall clock)")


if __name__ == "__main__":
    main(sys.argv[1:])
