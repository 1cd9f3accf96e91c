"""Suites as code: one module per layer, each returning SuiteSpecs (an asset plus a suite).

A SuiteSpec names the GX asset it validates: a table asset (whole table) or a query asset (an
SQL query, e.g. the events of the day). Every expectation runs as SQL inside PostgreSQL.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from great_expectations.expectations.expectation import Expectation

from expectations.catalog import Catalog
from expectations.config import GateConfig
from expectations.interval import DataInterval, VolumeReference

LAYERS = ("raw", "staging", "marts")


@dataclass(frozen=True)
class BuildContext:
    config: GateConfig
    interval: DataInterval
    catalog: Catalog
    volume: VolumeReference


@dataclass
class SuiteSpec:
    name: str                          # GX suite name, e.g. "marts.fct_cases"
    layer: str
    requires: tuple[str, ...]          # relations that must exist for the suite to run
    table: str | None = None           # "schema.table" for a table asset
    query: str | None = None           # SQL for a query asset
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def asset_name(self) -> str:
        return self.name.replace(".", "__")


def build_layer(layer: str, ctx: BuildContext) -> list[SuiteSpec]:
    from expectations.suites import evaluation, marts, raw, staff, staging

    builders = {"raw": raw.build, "staging": lambda c: staging.build(c) + staff.build_staging(c),
                "marts": lambda c: marts.build(c) + evaluation.build(c) + staff.build_marts(c)}
    return builders[layer](ctx)
