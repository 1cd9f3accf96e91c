#!/usr/bin/env bash
# The whole pipeline on a realistic generated event stream, end to end:
# generate → Kafka → the nightly Airflow DAG (ingest → gate → dbt → gate → publish) → summary.
set -euo pipefail
umask 077  # secrets, logs and data this script creates are private to the account running it
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false
CASES="${DEMO_CASES_PER_DAY:-150}"
SEED="${DEMO_SEED:-42}"
NIGHT="${DEMO_NIGHT:-$(date -u -d yesterday +%F)}"        # the data interval the DAG runs for
# From the first day of the last complete quarter (DEMO_DAYS: that many days up to NIGHT instead),
# so the evaluation has a complete month and quarter to band.
if [ -n "${DEMO_DAYS:-}" ]; then
  START="${DEMO_START:-$(date -u -d "$NIGHT - $((DEMO_DAYS - 1)) days" +%F)}"
else
  month=$(date -u -d "$NIGHT" +%-m)
  quarter_start="$(date -u -d "$NIGHT" +%Y)-$(printf %02d $(( (month - 1) / 3 * 3 + 1 )))-01"
  START="${DEMO_START:-$(date -u -d "$quarter_start - 3 months" +%F)}"
fi
DAYS=$(( ($(date -u -d "$NIGHT" +%s) - $(date -u -d "$START" +%s)) / 86400 + 1 ))

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/4 generate ${DAYS} days of one-stop-shop events ${START} … ${NIGHT} (seed ${SEED}, ~${CASES} cases/working day) and the staff events (positions, assessments, exemptions) with injected faults → Kafka"
$PY -m motcua generate --seed "$SEED" --start "$START" --days "$DAYS" --cases-per-day "$CASES" \
    --duplicates 0.01 --out-of-order 0.01 --late 0.02 --malformed 0.005 --staff-malformed 0.05 --quiet

step "2/4 nightly DAG kpi_nightly for ${NIGHT}: ingest (both topics) → GX gate (raw, staging) → dbt build → GX gate (marts) → publish → docs"
bash scripts/airflow.sh test "$NIGHT"

step "3/4 reconcile Kafka with the raw layer, both topics: produced = loaded + redeliveries + quarantined"
$PY -m motcua reconcile --all

step "4/4 published KPIs (read as the BI role)"
$PY scripts/kpi_summary.py
echo
$PY scripts/fairness_summary.py
echo
# "today" is the working morning after the night the DAG ran for: the first due-soon alert window
$PY -m motcua due-soon summary --at "$(date -u -d "$NIGHT + 1 day" +%F)T08:00:00+07:00"

step "evaluation (Decree 335): each agency's bands for the last complete month and quarter, one officer's statement"
$PY -m motcua.statement.summary --as-of "$NIGHT"

STATE="${MOTCUA_STATE_DIR:-.local}"
cat <<MSG

Next (from this folder, in any shell; the passwords come from $STATE/secrets.env and are never printed):
  .venv/bin/motcua psql --role bi -c 'select agency_name, month, on_time_rate from marts.kpi_agency_monthly'
  .venv/bin/motcua psql --role auditor          # also audit.* and the raw layer; --help for the other roles
  dbt docs (the published marts): $STATE/dbt_docs/index.html   or: make docs   (http://127.0.0.1:${MOTCUA_DOCS_PORT:-8580})
  Data Docs (Great Expectations): $STATE/data_docs/index.html
  lineage (OpenLineage, the night's DAG, tasks and dbt models): $($PY -m motcua lineage show | sed 's/^OpenLineage: //')
  Airflow UI: bash scripts/airflow.sh   (says where the login is); then, with the DAG unpaused,
  .venv/bin/motcua nightly rerun --night ${NIGHT}   reruns this night through the scheduler, task logs in the UI
MSG
