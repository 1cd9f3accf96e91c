"""The Great Expectations side: an ephemeral context, a PostgreSQL data source, assets,
validation definitions and one checkpoint per gate run.

The context is ephemeral (suites live in code), except two things on disk, both git-ignored:
the validation-result JSON store behind Data Docs (so earlier runs stay browsable) and the
Data Docs HTML site itself.
"""
from __future__ import annotations

import os
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# GX is imported after the analytics switch above.
import great_expectations as gx  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from great_expectations.checkpoint import CheckpointResult, UpdateDataDocsAction  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import (  # noqa: E402
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier  # noqa: E402

from expectations.config import GateConfig  # noqa: E402
from expectations.docs_offline import make_offline  # noqa: E402
from expectations.docs_severity import mark_warnings  # noqa: E402
from expectations.redact import redact_suite_result  # noqa: E402
from expectations.suites import SuiteSpec  # noqa: E402
from motcua import db  # noqa: E402

SITE = "motcua"
DATASOURCE = "motcua_pg"


class UpdateDataDocsOnceAction(UpdateDataDocsAction):
    """UpdateDataDocsAction that renders the site once per checkpoint run.

    The stock action rebuilds the site (and its index) once per validation result: with one
    suite per mart table that is most of the gate's run time. Same output, one build. It also
    redacts personal-data-looking samples first (expectations.redact), and afterwards shows
    failed warnings as warnings (expectations.docs_severity) and makes the site self-contained
    (expectations.docs_offline: no CDN, so it works offline).
    """

    type: Literal["motcua_update_data_docs_once"] = "motcua_update_data_docs_once"

    def run(self, checkpoint_result: CheckpointResult, action_context=None) -> dict:
        ids = list(checkpoint_result.run_results)
        store = self._resolve_context().context.validation_results_store
        for rid, result in checkpoint_result.run_results.items():
            redact_suite_result(result)          # before rendering, and rewrite the stored JSON
            store.set(key=rid, value=result)
        suites = {ExpectationSuiteIdentifier(name=r.suite_name) for r in checkpoint_result.run_results.values()}
        self._build_data_docs(site_names=self.site_names, resource_identifiers=ids + sorted(suites, key=str))
        sites = self._resolve_context().context.variables.data_docs_sites or {}
        for name in self.site_names or list(sites):
            site_dir = Path(sites[name]["store_backend"]["base_directory"])
            mark_warnings(site_dir)
            make_offline(site_dir)
        return {rid: {s["site_name"]: s["site_url"] for s in
                      self._get_docs_sites_urls(resource_identifier=rid, site_names=self.site_names)}
                for rid in ids}


def sqlalchemy_url(role: str = "gate", dbname: str | None = None) -> str:
    """The libpq settings of `motcua.db.conninfo` as an SQLAlchemy URL (psycopg2 driver)."""
    params = psycopg.conninfo.conninfo_to_dict(db.conninfo(role, dbname))
    return sa.URL.create(
        "postgresql+psycopg2",
        username=params.get("user"), password=params.get("password"),
        host=params.get("host"), port=int(params["port"]) if params.get("port") else None,
        database=params.get("dbname"),
        # JIT compiles each of the gate's short analytic queries anew: pure overhead here.
        query={"application_name": "motcua-gx", "connect_timeout": str(params.get("connect_timeout", 10)),
               "options": "-c jit=off"},
    ).render_as_string(hide_password=False)


def make_context(cfg: GateConfig):
    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    defaults.stores[defaults.validation_results_store_name]["store_backend"] = {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": str(cfg.gx_state_dir / "validations"),
    }
    # Suites persist too: the site builder drops the pages of suites its store does not know, so
    # with an in-memory store a marts-only run deleted the raw and staging suite pages the index
    # still links to. Each run rewrites the suites it validates (add_or_update).
    defaults.stores[defaults.expectations_store_name]["store_backend"] = {
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": str(cfg.gx_state_dir / "expectations"),
    }
    project = DataContextConfig(
        store_backend_defaults=defaults,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
        data_docs_sites={SITE: {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(cfg.data_docs_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }},
    )
    return gx.get_context(project_config=project)


def prune_old_results(cfg: GateConfig) -> None:
    """Keep Data Docs to recent runs; the SQL history keeps everything."""
    root = cfg.gx_state_dir / "validations"
    if not root.exists():
        return
    horizon = time.time() - cfg.keep_validation_days * 86400
    for path in root.rglob("*.json"):
        if path.stat().st_mtime < horizon:
            path.unlink(missing_ok=True)


def run_checkpoint(context, specs: list[SuiteSpec], url: str, name: str, run_name: str,
                   run_time: datetime) -> CheckpointResult:
    source = context.data_sources.add_or_update_postgres(DATASOURCE, connection_string=url)
    definitions = []
    for spec in specs:
        if spec.table:
            schema, table = spec.table.split(".", 1)
            with warnings.catch_warnings():
                # GX 1.x would rather have one schema per data source; the marts are one schema
                # but the gate spans raw, staging and marts through one connection.
                warnings.simplefilter("ignore", DeprecationWarning)
                asset = source.add_table_asset(spec.asset_name, table_name=table, schema_name=schema)
        else:
            asset = source.add_query_asset(spec.asset_name, query=spec.query)
        batch = asset.add_batch_definition_whole_table("whole")
        suite = context.suites.add_or_update(gx.ExpectationSuite(name=spec.name, expectations=spec.expectations))
        definitions.append(context.validation_definitions.add(
            gx.ValidationDefinition(name=spec.name, data=batch, suite=suite)))
    checkpoint = context.checkpoints.add(gx.Checkpoint(
        name=name,
        validation_definitions=definitions,
        actions=[UpdateDataDocsOnceAction(name="data_docs", site_names=[SITE])],
        # SUMMARY keeps at most 10 sample values per expectation: bounded, never a table dump.
        result_format={"result_format": "SUMMARY", "partial_unexpected_count": 10},
    ))
    try:
        return checkpoint.run(run_id=RunIdentifier(run_name=run_name, run_time=run_time))
    finally:
        close_connections(context, source)


def close_connections(context, *sources) -> None:
    """Dispose of every SQLAlchemy pool GX opened: no idle session outlives the gate run."""
    for source in (*sources, *context.data_sources.all().values()):
        for get in ("get_execution_engine", "get_engine"):
            try:
                obj = getattr(source, get)()
            except Exception:  # noqa: BLE001 - best effort on the way out
                continue
            (obj.close if get == "get_execution_engine" else obj.dispose)()


def docs_url(context, result_id) -> str | None:
    urls = context.get_docs_sites_urls(resource_identifier=result_id, site_name=SITE, only_if_exists=False)
    return urls[0]["site_url"] if urls else None


def index_url(cfg: GateConfig) -> str:
    return Path(cfg.data_docs_dir, "index.html").resolve().as_uri()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)

