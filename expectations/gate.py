"""run_gate(layer, date): build the suites, run one GX checkpoint, record and judge the results.

The gate passes when no critical expectation failed. Warnings are recorded and reported but do
not block. Every evaluated expectation is written to quality.validation_results, and Data Docs
are rebuilt. Publication is a separate step that reads the verdict (quality.gate_runs).

The gate runs as motcua_gate, a role that builds nothing: it reads what it validates and writes
only quality.*. A marts verdict names the dbt build it judged (lineage.dbt_build_runs), and only
when that build completed and no other build started while the gate ran: publish copies exactly
the build a passing verdict was about.
"""
from __future__ import annotations

import uuid
from datetime import date

from expectations.catalog import Catalog
from expectations.config import GateConfig
from expectations.interval import DataInterval, VolumeReference, volume_reference
from expectations.results import GateResult, Outcome, outcomes_from_suite_result
from expectations.suites import LAYERS, BuildContext, SuiteSpec, build_layer
from motcua import db
from motcua.errors import PermanentError


class GateError(PermanentError, ValueError):
    """The gate was asked for something it cannot do (unknown layer, bad date)."""


def _layers(layer: str) -> tuple[str, ...]:
    if layer == "all":
        return LAYERS
    if layer not in LAYERS:
        raise GateError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)} or all")
    return (layer,)


def build_specs(layer: str, interval: DataInterval, catalog: Catalog, cfg: GateConfig) -> list[SuiteSpec]:
    layers = _layers(layer)
    volume = (volume_reference(interval.day, cfg.volume_lookback_days) if "raw" in layers
              else VolumeReference(days=(), day_is_working=True, closed_agencies=()))
    ctx = BuildContext(config=cfg, interval=interval, catalog=catalog, volume=volume)
    return [spec for name in layers for spec in build_layer(name, ctx)]


def _missing_outcome(spec: SuiteSpec, missing: list[str]) -> Outcome:
    return Outcome(
        suite=spec.name, expectation=f"{spec.name.replace('.', '_')}_relations_exist",
        expectation_type="relation_exists", severity="critical", success=False,
        observed_value={"missing": missing},
        description=f"The relations {spec.name} validates exist and are readable by motcua_gate.",
    )


def _judged_build(conn, build_schema: str) -> str | None:
    from publish.builds import completed_build

    build = completed_build(conn, build_schema)
    return build.invocation_id if build else None


def run_gate(layer: str, day: date | str, *, dbname: str | None = None,
             config: GateConfig | None = None) -> GateResult:
    """Validate one layer (or all) for one local date; store the results; return the verdict."""
    cfg = config or GateConfig.from_env()
    layers = _layers(layer)
    interval = DataInterval.for_day(day, cfg.timezone)
    # Imported only once the arguments are known to be good: GX takes seconds to import.
    import great_expectations as gx

    from expectations import context as gxc
    from expectations import store
    started = gxc.utcnow()
    run_id = str(uuid.uuid4())
    with db.connect("gate", dbname, autocommit=True) as conn:
        judged = _judged_build(conn, cfg.marts_schema) if "marts" in layers else None
        catalog = Catalog.load(conn, ("raw", "staging", cfg.marts_schema))
        specs = build_specs(layer, interval, catalog, cfg)
        runnable, outcomes = [], []
        for spec in specs:
            missing = [r for r in spec.requires if not catalog.has(r)]
            if missing:
                outcomes.append(_missing_outcome(spec, missing))
            else:
                runnable.append(spec)
        if runnable:
            gxc.prune_old_results(cfg)
            context = gxc.make_context(cfg)
            checkpoint = gxc.run_checkpoint(
                context, runnable, gxc.sqlalchemy_url("gate", dbname),
                name=f"motcua_gate_{layer}", run_name=f"{layer}-{interval.day.isoformat()}", run_time=started,
            )
            for result_id, suite_result in checkpoint.run_results.items():
                outcomes += outcomes_from_suite_result(suite_result, gxc.docs_url(context, result_id))
        result = GateResult(
            run_id=run_id, layer=layer, day=interval.day, interval_start=interval.start,
            interval_end=interval.end, started_at=started, finished_at=gxc.utcnow(), outcomes=outcomes,
            data_docs_index=gxc.index_url(cfg) if runnable else None,
            # a build that started meanwhile may have changed tables under the checks: judged nothing
            dbt_invocation_id=judged if judged and judged == _judged_build(conn, cfg.marts_schema) else None,
        )
        store.save(conn, result, {"layers": list(layers), **cfg.as_json()}, gx.__version__)
    return result
