"""Thresholds and locations of the quality gate, from the environment (MOTCUA_GX_*).

Every number here is a policy, not a fact about the data: the defaults are conservative guesses
for a provincial one-stop shop and each can be overridden per deployment without a code change.
"""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path

from motcua.errors import PermanentError
from motcua.settings import DEFAULT_BUILD_SCHEMA, TIMEZONE, state_dir

EVENT_TYPES = (
    "case.received", "case.assigned", "case.returned", "case.resubmitted", "case.extended",
    "case.completed", "case.delivered", "case.withdrawn", "case.rated", "case.complained",
)
SCHEMA_VERSIONS = (1,)
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class GateConfigError(PermanentError, ValueError):
    """A MOTCUA_GX_* variable cannot be parsed."""


@dataclass(frozen=True)
class GateConfig:
    timezone: str = TIMEZONE
    # Raw layer
    system_start: date = date(2018, 1, 1)        # Decree 61/2018: no one-stop-shop event predates it
    future_tolerance_s: int = 600                # clock skew allowed between source and loader
    max_events_per_case: int = 200
    max_case_span_days: int = 730
    volume_lookback_days: int = 56               # calendar days searched for comparable days
    volume_min_history_days: int = 5             # comparable days with events needed to judge
    volume_min_median: float = 5.0               # agencies quieter than this are not judged
    volume_mad_k: float = 4.0                    # band = median ± max(k·1.4826·MAD, f·median)
    volume_min_band_fraction: float = 0.5
    quarantine_warning_share: float = 0.01
    quarantine_critical_share: float = 0.05
    per_event_critical_share: float = 0.25       # a per-event rule broken by more of the day's events blocks
    # Staging
    lifecycle_critical_share: float = 0.01       # completed-before-received cases above this block
    # Marts
    marts_schema: str = DEFAULT_BUILD_SCHEMA            # where dbt built the marts the gate judges (before publish)
    rate_tolerance: float = 1e-6                 # |rate - numerator/denominator|
    # Outputs (not thresholds)
    data_docs_dir: Path = field(default_factory=lambda: state_dir() / "data_docs")
    gx_state_dir: Path = field(default_factory=lambda: state_dir() / "gx")
    keep_validation_days: int = 90               # GX JSON results behind Data Docs; SQL keeps all

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "GateConfig":
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(f"MOTCUA_GX_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw, f.type)
        # The publishing step's build schema (publish/config.py): the marts the gate must judge
        # are the ones about to be published, not the ones BI already sees.
        if "marts_schema" not in values and env.get("MOTCUA_BUILD_SCHEMA", "").strip():
            values["marts_schema"] = env["MOTCUA_BUILD_SCHEMA"].strip()
        schema = str(values.get("marts_schema", cls.marts_schema))
        if not _IDENT.match(schema):
            raise GateConfigError(f"marts schema {schema!r} is not a plain lower-case identifier")
        return cls(**values)

    def as_json(self) -> dict[str, object]:
        return {k: (str(v) if isinstance(v, (Path, date)) else v) for k, v in asdict(self).items()}


def _parse(name: str, raw: str, kind: object) -> object:
    kind = kind if isinstance(kind, str) else getattr(kind, "__name__", str(kind))
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "date":
            return date.fromisoformat(raw)
        if kind == "Path":
            return Path(raw)
        return raw
    except ValueError as exc:
        raise GateConfigError(f"MOTCUA_GX_{name.upper()}={raw!r}: {exc}") from exc
