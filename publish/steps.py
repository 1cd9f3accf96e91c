"""Moved to the nightly/ package (one module per step); this old name re-exports its functions."""
from nightly.capture import ingest
from nightly.docs import data_docs_index, dbt_docs
from nightly.gate import gate
from nightly.publish import publish_night
from nightly.run import quiet_loggers
from nightly.run import run_child as _run  # noqa: F401 - the old private names some callers used
from nightly.transform import DBT_PROJECT, classify_dbt_failure, dbt_build, ensure_staging
from nightly.transform import as_of_env as _as_of  # noqa: F401
from nightly.transform import dbt_command as _dbt  # noqa: F401
from nightly.window import local_date_of, night_window
from motcua.settings import PROJECT_ROOT, dbt_target_path

__all__ = ["DBT_PROJECT", "PROJECT_ROOT", "classify_dbt_failure", "data_docs_index", "dbt_build", "dbt_docs",
           "dbt_target_path", "ensure_staging", "gate", "ingest", "local_date_of", "night_window", "publish_night",
           "quiet_loggers"]
