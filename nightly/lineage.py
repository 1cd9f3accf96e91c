"""The OpenLineage datasets of the steps OpenLineage cannot see by itself, and dbt's lineage settings.

Capture and publish are Python, not operators the Airflow provider has an extractor for: the DAG
attaches the datasets named here to the task (its inlets and outlets), so the task's COMPLETE
event names them. dbt names its own models' inputs and outputs (dbt-ol, run by transform).

Names follow OpenLineage's conventions, the ones dbt-ol and the Postgres provider use, so the
graph joins up in a lineage tool: PostgreSQL tables are namespace postgres://HOST:PORT, name
DATABASE.SCHEMA.TABLE; Kafka topics are namespace kafka://BOOTSTRAP (the first server), name TOPIC.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from openlineage.client.event_v2 import Dataset

from motcua.lineage import LineageSettings

log = logging.getLogger(__name__)


def postgres_table(qualified: str, dbname: str | None = None) -> Dataset:
    """A table of the warehouse, `schema.table`; host, port and database from libpq's variables
    with the defaults of motcua.db and dbt's profile (the namespace must match dbt-ol's)."""
    host, port = os.environ.get("PGHOST", "127.0.0.1"), os.environ.get("PGPORT", "25432")
    database = dbname or os.environ.get("PGDATABASE", "motcua")
    return Dataset(namespace=f"postgres://{host}:{port}", name=f"{database}.{qualified}")


def kafka_topic(topic: str) -> Dataset:
    first = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092").split(",")[0].strip()
    return Dataset(namespace=f"kafka://{first}", name=topic)


def capture_datasets() -> tuple[list[Dataset], list[Dataset]]:
    """Both topics in, their raw tables out (ingestion.topics: the topic names come from the same
    variables the loaders read)."""
    from ingestion.topics import CONTRACTS

    contracts = list(CONTRACTS.values())
    return [kafka_topic(c.topic()) for c in contracts], [postgres_table(c.table) for c in contracts]


def publish_datasets(build_schema: str, tables: list[str], swapped: bool) -> tuple[list[Dataset], list[Dataset]]:
    """The build's tables in; the published tables (marts, and the lineage schema's case
    memberships) and the publication history out. A night that is not swapped in (a newer night
    is published) writes the history only."""
    from publish.config import destination

    inputs = [postgres_table(f"{build_schema}.{name}") for name in sorted(tables)]
    outputs = [postgres_table(f"{destination(name).schema}.{name}") for name in sorted(tables)] if swapped else []
    outputs.append(postgres_table("audit.publications"))
    return inputs, outputs


def dbt_lineage(parent_id: str | None = None, root_parent_id: str | None = None) -> tuple[list[str], dict[str, str]]:
    """How to run dbt with lineage: the wrapper to call in dbt's place (empty when lineage is off)
    and its environment. The parent ids (NAMESPACE/JOB/RUN_ID of the Airflow task and DAG run)
    make dbt's run a child of the task that started it."""
    settings = LineageSettings.from_env()
    if not settings.enabled:
        return [], settings.client_env()
    try:
        settings.prepare()
    except OSError as exc:      # lineage is for tools: its folder missing never stops the night's figures
        log.warning("OpenLineage events file %s not writable (%s): dbt runs without lineage; "
                    "set MOTCUA_LINEAGE_FILE or MOTCUA_LINEAGE=off", settings.events_file, exc)
        return [], {"OPENLINEAGE_DISABLED": "true"}
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **settings.client_env(),
        # dbt-ol starts `dbt` from PATH: the one beside it in this virtualenv
        "PATH": os.pathsep.join([venv_bin, *filter(None, os.environ.get("PATH", "").split(os.pathsep))]),
        "TQDM_DISABLE": "1",     # dbt-ol's progress bar would fill the task log
    }
    if parent_id:
        env["OPENLINEAGE_PARENT_ID"] = parent_id
        env["OPENLINEAGE_ROOT_PARENT_ID"] = root_parent_id or parent_id
    return [str(Path(sys.executable).with_name("dbt-ol"))], env
