#!/usr/bin/env bash
# Runs the whole test suite against the real services (the fixtures start them if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false AIRFLOW__CORE__LOAD_EXAMPLES=False
bash services/postgres.sh up
bash services/kafka.sh up
.venv/bin/python -m ingestion.cli migrate >/dev/null
exec .venv/bin/python -m pytest "${@:-tests}" -p no:cacheprovider --durations=15
