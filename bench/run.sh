#!/usr/bin/env bash
# All benchmarks, one after another; each prints its figures and ratios. Sizes are flags of
# each script (the defaults are the sizes the issues ask for and take a while on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false
echo "== capture: loader vs bare kafka-python vs naive INSERT";  $PY -m bench.ingest "$@"
echo "== capture: both topics, one process vs one per topic";   $PY -m bench.capture_topics
echo "== capture: loader vs Kafka Connect JDBC sink vs COPY";  $PY -m bench.throughput
echo "== compute: dbt full vs incremental";                     $PY bench/dbt/run_bench.py
echo "== guard: GX gate on 100k vs 1M cases";                   $PY -m bench.gx.run
echo "== orchestrate: one nightly run vs a bare dbt build";     $PY -m bench.nightly.run
echo "== statement: one agency's statements for a quarter";      $PY -m bench.statement.run
echo "== evaluation + fairness: their share of a night, statements at 1M"; $PY -m bench.evaluation.run
echo "== audit: trace + verify of one officer-month figure at 1M cases"; $PY -m bench.audit.run
