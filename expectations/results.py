"""What a gate run found: one Outcome per expectation, and the GateResult the CLI and DAG use."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from expectations.checks import CRITICAL, WARNING

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_BLOCKED = 3


@dataclass(frozen=True)
class Outcome:
    suite: str
    expectation: str          # stable name from meta
    expectation_type: str
    severity: str
    success: bool
    observed_value: Any = None
    unexpected_count: int | None = None
    element_count: int | None = None
    details: Any = None
    description: str = ""
    docs_url: str | None = None

    def brief(self) -> str:
        """One line: what was observed, with a sample of the offending values or rows."""
        parts = []
        if self.unexpected_count is not None:
            total = f" of {self.element_count}" if self.element_count is not None else ""
            parts.append(f"{self.unexpected_count}{total} unexpected")
        elif self.observed_value is not None:
            parts.append(f"observed {json.dumps(self.observed_value, default=str)}")
        if self.details:
            sample = json.dumps(self.details, default=str, ensure_ascii=False)
            parts.append(sample if len(sample) <= 300 else sample[:297] + "...")
        return "; ".join(parts)


@dataclass
class GateResult:
    run_id: str
    layer: str
    day: date
    interval_start: datetime
    interval_end: datetime
    started_at: datetime
    finished_at: datetime
    outcomes: list[Outcome] = field(default_factory=list)
    data_docs_index: str | None = None
    dbt_invocation_id: str | None = None   # the completed dbt build a marts verdict judged

    @property
    def critical_failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity == CRITICAL]

    @property
    def warnings(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity == WARNING]

    @property
    def passed(self) -> bool:
        return not self.critical_failures

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.passed else EXIT_BLOCKED

    def failed(self, name: str) -> bool:
        return any(o.expectation == name and not o.success for o in self.outcomes)

    def summary(self) -> str:
        verdict = "PASSED" if self.passed else "BLOCKED"
        secs = (self.finished_at - self.started_at).total_seconds()
        lines = [
            f"quality gate {verdict}: layer={self.layer} date={self.day} "
            f"({len(self.outcomes)} expectations, {len(self.critical_failures)} critical failed, "
            f"{len(self.warnings)} warnings, {secs:.1f} s) run_id={self.run_id}"
        ]
        if self.layer in ("marts", "all"):
            lines.append(f"judged dbt build: {self.dbt_invocation_id or 'none complete (this verdict publishes nothing)'}")
        for title, items in (("CRITICAL (blocks publication)", self.critical_failures),
                             ("WARNING (recorded, not blocking)", self.warnings)):
            if items:
                lines.append(f"{title}:")
                for o in items:
                    lines.append(f"  - [{o.suite}] {o.expectation}: {o.description}")
                    lines.append(f"      {o.brief()}")
                    if o.docs_url:
                        lines.append(f"      see {o.docs_url}")
        if self.data_docs_index:
            lines.append(f"Data Docs: {self.data_docs_index}")
        lines.append(f"History: select * from quality.validation_results where run_id = '{self.run_id}';")
        return "\n".join(lines)


def _default(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else str(value)


def plain(value: Any) -> Any:
    """JSON-ready copy of what GX returned (Decimals become numbers, datetimes ISO strings)."""
    return None if value is None else json.loads(json.dumps(value, default=_default))


def _exception_message(info: Any) -> str | None:
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():     # {metric id: {exception_message: ...}} when a metric failed
        if isinstance(value, dict) and value.get("exception_message"):
            return str(value["exception_message"])
    return None


def outcomes_from_suite_result(suite_result: Any, docs_url: str | None) -> list[Outcome]:
    out = []
    for r in suite_result.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        result = r.result or {}
        error = _exception_message(r.exception_info)
        sql_check = cfg.type == "expect_no_unexpected_rows"   # rows returned = unexpected count
        details: Any = None
        if error:
            details = {"error": error.splitlines()[0][:500]}
        elif sql_check:
            details = result.get("details", {}).get("unexpected_rows")
        elif "details" in result:
            details = result["details"]
        elif result.get("partial_unexpected_list"):
            details = result["partial_unexpected_list"]
        out.append(Outcome(
            suite=suite_result.suite_name,
            expectation=meta.get("name", cfg.type),
            expectation_type=cfg.type,
            severity=meta.get("severity", CRITICAL),
            success=bool(r.success) and not error,
            observed_value=plain(result.get("observed_value")),
            unexpected_count=result.get("observed_value") if sql_check else result.get("unexpected_count"),
            element_count=result.get("element_count"),
            details=plain(details),
            description=meta.get("summary") or cfg.description or "",
            docs_url=docs_url,
        ))
    return out
