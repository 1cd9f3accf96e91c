"""Great Expectations quality gate: suites as code, checkpoints, SQL history, Data Docs.

    from expectations import run_gate
    result = run_gate("all", "2026-03-02")      # GateResult; result.passed / result.exit_code

CLI: motcua gate gate --layer raw|staging|marts|all --date YYYY-MM-DD
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from expectations.gate import run_gate
    from expectations.results import GateResult


def __getattr__(name: str):
    # Lazy: importing the package (e.g. for --help, or by the Airflow DAG parser) must not pay
    # for importing Great Expectations.
    if name == "run_gate":
        from expectations.gate import run_gate
        return run_gate
    if name == "GateResult":
        from expectations.results import GateResult
        return GateResult
    raise AttributeError(name)


__all__ = ["run_gate", "GateResult"]
