"""Where figures are built and published, and which tables make up a publication."""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from motcua.errors import PermanentError
from motcua.settings import DEFAULT_BUILD_SCHEMA, state_dir

PUBLISHED_SCHEMA = "marts"    # fixed by the contract (docs/contracts/warehouse.md): BI reads it by name
READER_ROLES = ("motcua_bi", "motcua_auditor")


@dataclass(frozen=True)
class Destination:
    """Where a built table is published, and who may read it there."""
    schema: str
    readers: tuple[str, ...]


MARTS = Destination(PUBLISHED_SCHEMA, READER_ROLES)
# Which case counts in which KPI row: published beside the figures it explains, so an auditor's
# trace always matches the published KPI values (not a newer build the gate blocked).
# Schema lineage (not audit: only the history's owner creates objects in audit).
AUDIT_TABLES = {
    "kpi_case_membership": Destination("lineage", ("motcua_auditor",)),
    # the evaluation's evidence: which cases and which assessment versions gave each officer's points
    "eval_case_membership": Destination("lineage", ("motcua_auditor",)),
    "eval_assessment_membership": Destination("lineage", ("motcua_auditor",)),
}


def destination(name: str) -> Destination:
    return AUDIT_TABLES.get(name, MARTS)

# Contract tables: every publication has them, or it does not happen.
CONTRACT_TABLES = ("fct_cases", "kpi_officer_daily", "kpi_officer_monthly", "kpi_agency_monthly")

# The key of each KPI table (its dbt unique_key). Other tables with published values (scorecards)
# take theirs from their primary key or a unique index.
KPI_GRAINS: dict[str, tuple[str, ...]] = {
    "kpi_officer_daily": ("officer_id", "agency_code", "activity_date"),
    "kpi_officer_monthly": ("officer_id", "agency_code", "month"),
    "kpi_agency_monthly": ("agency_code", "month"),
    "scorecard_officer_monthly": ("officer_id", "agency_code", "month"),
    # the Decree 335 evaluation (docs/domain/evaluation-method.md): small tables (officers x periods),
    # published whole each time; their values' history answers "which band, as published when"
    "eval_officer_period": ("officer_id", "period_type", "period"),
    "eval_officer_kpi_period": ("officer_id", "period_type", "period", "kpi_code"),
    "eval_officer_criteria_period": ("officer_id", "period_type", "period", "assessor_role", "criterion_code"),
    "eval_group_period": ("agency_code", "position_group", "period_type", "period"),
}

# Published beside the contract tables whenever the build has them (the evaluation layer); the
# positions history is published without value history (it is a dimension, not figures).
EVALUATION_TABLES = ("eval_officer_period", "eval_officer_kpi_period", "eval_officer_criteria_period",
                     "eval_group_period", "dim_officer_positions")

_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PublishConfigError(PermanentError, ValueError):
    """A MOTCUA_* publishing variable is unusable."""


@dataclass(frozen=True)
class PublishConfig:
    build_schema: str = DEFAULT_BUILD_SCHEMA
    # dbt's manifest.json: the keys (unique_key, unique_combination_of_columns) of tables the
    # project adds later, so their values are recorded without a change here.
    manifest_path: Path | None = None

    @classmethod
    def from_env(cls) -> "PublishConfig":
        schema = os.environ.get("MOTCUA_BUILD_SCHEMA", "").strip() or cls.build_schema
        if not _IDENT.match(schema):
            raise PublishConfigError(f"MOTCUA_BUILD_SCHEMA={schema!r} is not a plain lower-case identifier")
        target = os.environ.get("MOTCUA_DBT_TARGET_PATH", "").strip()
        manifest = Path(target) / "manifest.json" if target else state_dir() / "dbt" / "target" / "manifest.json"
        return cls(build_schema=schema, manifest_path=manifest)

    @property
    def in_place(self) -> bool:
        """MOTCUA_BUILD_SCHEMA=marts: dbt wrote BI's tables itself, ungated; publish only records history."""
        return self.build_schema == PUBLISHED_SCHEMA


# The early warning's open cases and the calendar's working-minute index, which
# marts.open_cases_due_soon reads (dbt_project/macros/due_soon.sql).
DUE_SOON_TABLES = ("fct_due_soon_open_cases", "dim_working_calendar")
# The fairness marts (gaming flags per case, the officer-month comparison, the officer-day flag
# counts): published whenever the build has them, so BI reads them beside the KPIs. They have no
# grain here, so they are copied whole (a group median moves with every officer of the group).
FAIRNESS_TABLES = ("fct_case_flags", "fairness_officer_monthly", "fairness_officer_daily")


def is_extra_published_table(name: str) -> bool:
    """Tables published besides the contract ones: any scorecard the dbt project adds, the
    evaluation, the fairness marts and the early warning's tables."""
    return (("scorecard" in name and not name.endswith(("__dbt_tmp", "__dbt_backup")))
            or name in EVALUATION_TABLES or name in FAIRNESS_TABLES or name in DUE_SOON_TABLES)


def manifest_grains(path: Path | None) -> dict[str, tuple[str, ...]]:
    """Model name -> key columns declared in dbt (config unique_key, else a uniqueness test)."""
    if path is None or not path.exists():
        return {}
    nodes = json.loads(path.read_text()).get("nodes", {})
    grains: dict[str, tuple[str, ...]] = {}
    for node in nodes.values():
        if node.get("resource_type") == "test":
            meta = node.get("test_metadata") or {}
            columns = (meta.get("kwargs") or {}).get("combination_of_columns")
            attached = node.get("attached_node") or ""
            if meta.get("name") == "unique_combination_of_columns" and columns and attached.startswith("model."):
                grains.setdefault(attached.split(".")[-1], tuple(columns))
    for node in nodes.values():
        key = (node.get("config") or {}).get("unique_key")
        if node.get("resource_type") == "model" and key:
            grains[node["name"]] = (key,) if isinstance(key, str) else tuple(key)
    return grains
