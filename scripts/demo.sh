#!/usr/bin/env bash
# The whole pipeline on a realistic generated event stream, end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false
SEED="${DEMO_SEED:-42}" START="${DEMO_START:-2026-01-05}" DAYS="${DEMO_DAYS:-60}" CASES="${DEMO_CASES_PER_DAY:-300}"

step() { printf '\n== %s\n' "$*"; }

step "1/3 generate ${DAYS} days of one-stop-shop events from ${START} (seed ${SEED}) with injected faults → Kafka"
$PY -m ingestion.generator --seed "$SEED" --start "$START" --days "$DAYS" --cases-per-day "$CASES" \
    --duplicates 0.01 --out-of-order 0.01 --late 0.02 --malformed 0.005

step "2/3 load into PostgreSQL (bounded: up to the end offsets seen at start)"
$PY -m ingestion.cli consume --bounded --max-seconds 1800

step "3/3 reconcile: produced = loaded + redeliveries + quarantined, per partition"
$PY -m ingestion.cli reconcile
