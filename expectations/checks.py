"""Small building blocks for suites: severities, SQL quoting, and the SQL "no rows" expectation.

Every expectation carries a stable `name` and its `severity` in `meta` (GX's own `severity`
field is set too, so Data Docs shows it). The name is what the SQL history is keyed on: GX's
expectation ids are random per run in an ephemeral context.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, ClassVar, Union

from great_expectations.compatibility import pydantic
from great_expectations.core.suite_parameters import SuiteParameterDict
from great_expectations.expectations import UnexpectedRowsExpectation
from great_expectations.expectations.expectation import Expectation

from motcua.errors import PermanentError

CRITICAL = "critical"
WARNING = "warning"
SEVERITIES = (CRITICAL, WARNING)
BATCH = "\x00BATCH\x00"      # stands for GX's {batch} while the rest of the SQL is brace-escaped
SAMPLE_ROWS = 10             # rows of a failing SQL check kept in the result (and in SQL history)


class SuiteDefinitionError(PermanentError, ValueError):
    """A suite was defined with an unknown severity or a malformed check."""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(value: Any) -> str:
    """A SQL literal for values we build queries from (config numbers, dates, codes)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, datetime):
        return f"timestamptz '{value.isoformat()}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def lit_array(values: Iterable[Any], sql_type: str) -> str:
    items = ", ".join(lit(v) for v in values)
    return f"array[{items}]::{sql_type}[]"


def gx_sql(sql: str) -> str:
    """Escape braces for GX's str.format and put back the {batch} placeholder."""
    return sql.replace("{", "{{").replace("}", "}}").replace(BATCH, "{batch}")


class ExpectNoUnexpectedRows(UnexpectedRowsExpectation):
    """UnexpectedRowsExpectation that runs its query once and keeps a sample of the rows.

    The stock expectation runs the query twice (rows, then count(*) around it); our queries
    aggregate over large tables, so once is enough: the observed value is the number of rows
    returned (GX caps a fetch at 200, reported as a lower bound). A sample of the rows goes in
    `details` so the gate can say which agency or case failed. Queries are written to return
    identifiers and counts, never personal data.
    """

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.table",)

    # The parent prints a warning for queries without {batch}; cross-table checks do not need it.
    @pydantic.validator("unexpected_rows_query")
    def _validate_query(cls, query: Union[str, SuiteParameterDict]) -> Union[str, SuiteParameterDict]:
        return query if isinstance(query, SuiteParameterDict) else query.rstrip("; \t\r\n")

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine: Any = None) -> dict:
        rows = metrics["unexpected_rows_query.table"] or []
        return {
            "success": not rows,
            "result": {
                "observed_value": len(rows),
                "details": {"unexpected_rows": rows[:SAMPLE_ROWS], "capped": len(rows) >= 200},
            },
        }


def expect(cls: type[Expectation], name: str, severity: str, description: str, **kwargs: Any) -> Expectation:
    if severity not in SEVERITIES:
        raise SuiteDefinitionError(f"{name}: severity must be one of {SEVERITIES}, got {severity!r}")
    # The severity leads the description because Data Docs shows descriptions, not meta.
    return cls(severity=severity, meta={"name": name, "severity": severity, "summary": description},
               description=f"[{severity}] {description}", **kwargs)


def no_rows(name: str, severity: str, description: str, sql: str) -> Expectation:
    """A check written as SQL returning the offending rows (use BATCH for the suite's batch)."""
    return expect(ExpectNoUnexpectedRows, name, severity, description, unexpected_rows_query=gx_sql(sql))
