"""Benchmark-only DAGs: the nightly's dbt step as one task vs rendered by astronomer-cosmos.

Loaded only by bench/nightly/cosmos.py (its own DAGS_FOLDER); astronomer-cosmos is not a project
dependency, the benchmark installs it into a throwaway folder on PYTHONPATH.
"""
from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import dag, task

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
AS_OF = os.environ.get("BENCH_AS_OF", "2026-03-01T02:00:00+07:00")
START = pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh")


@dag(dag_id="bench_dbt_single", schedule=None, start_date=START, catchup=False)
def bench_dbt_single():
    @task(retries=0, execution_timeout=timedelta(hours=1))
    def dbt_build() -> dict:
        from nightly import transform

        return transform.dbt_build(AS_OF).as_json()

    dbt_build()


bench_dbt_single()

if os.environ.get("BENCH_WITH_COSMOS") == "1":
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import InvocationMode, LoadMode, TestBehavior

    from motcua.settings import DBT_SECRETS, load_local_secrets

    load_local_secrets(*DBT_SECRETS)
    secrets = {k: v for k, v in os.environ.items() if k.startswith(("MOTCUA_", "PG", "DBT_", "DO_NOT_TRACK"))}

    @dag(dag_id="bench_dbt_cosmos", schedule=None, start_date=START, catchup=False)
    def bench_dbt_cosmos():
        DbtTaskGroup(
            group_id="dbt",
            project_config=ProjectConfig(dbt_project_path=ROOT / "dbt_project", install_dbt_deps=False,
                                         dbt_vars={"as_of": AS_OF}, env_vars=secrets),
            profile_config=ProfileConfig(profile_name="motcua", target_name="dev",
                                         profiles_yml_filepath=ROOT / "dbt_project" / "profiles.yml"),
            # dbt from PATH (the venv's bin must be on it); dbt_runner: in-process, cosmos's fastest mode
            execution_config=ExecutionConfig(invocation_mode=InvocationMode(
                os.environ.get("BENCH_COSMOS_INVOCATION", "dbt_runner"))),
            render_config=RenderConfig(load_method=LoadMode.DBT_LS, test_behavior=TestBehavior.AFTER_EACH,
                                       exclude=["resource_type:unit_test"]),
            operator_args={"install_deps": False},
            default_args={"retries": 0},
        )

    bench_dbt_cosmos()
