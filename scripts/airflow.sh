#!/usr/bin/env bash
# Local Airflow for the project's DAGs (kpi_nightly).
#
#   bash scripts/airflow.sh                 # API server + scheduler + dag processor on http://127.0.0.1:${AIRFLOW_PORT:-8781}
#   bash scripts/airflow.sh test 2026-03-02 # run the night of 2 March 2026 once, in-process (airflow dags test;
#                                           #  no task log in the UI: prefer `motcua nightly rerun --night D`)
#   bash scripts/airflow.sh <airflow args>  # any airflow command with the same settings, e.g. `dags list`
#
# State lives in .local/airflow (SQLite metadata, logs, the generated admin password, mode 600).
# Nothing listens beyond 127.0.0.1: the API server binds there and the scheduler runs without its
# log server (tasks run on this machine, the API server reads their log files directly).
# The services (PostgreSQL, Kafka) must be up: `make up`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV_BIN="$ROOT/.venv/bin"
# Not 8080 (often taken).
PORT="${AIRFLOW_PORT:-8781}"
umask 077      # the metadata, the logs and the generated admin password are for this user only

export AIRFLOW_HOME="${AIRFLOW_HOME:-$ROOT/.local/airflow}"
export AIRFLOW__CORE__DAGS_FOLDER="$ROOT/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=True
# 2 cores shared with PostgreSQL, Kafka and dbt: few worker processes (the default starts ~32).
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW__CORE__PARALLELISM:-4}"
export AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG="${AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG:-2}"
export AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES="${AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES:-1}"
export AIRFLOW__API__WORKERS="${AIRFLOW__API__WORKERS:-1}"
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$PORT"
# Airflow's log servers bind every interface, with no setting for the host (3.3.2): none is started
# (scheduler --skip-serve-logs; no triggerer, the DAG defers nothing). Their ports still move off
# the defaults (8793/8794) in case a component starts one anyway.
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="${AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT:-$((PORT + 1))}"
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="${AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT:-$((PORT + 2))}"
export AIRFLOW__CORE__EXECUTOR="${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
# Times: the nights are Vietnamese. (The UI itself shows the browser's timezone: user menu → Timezone.)
export AIRFLOW__CORE__DEFAULT_TIMEZONE="${AIRFLOW__CORE__DEFAULT_TIMEZONE:-Asia/Ho_Chi_Minh}"
# Task logs: each task's summary, warnings and errors, not the libraries' chatter.
export AIRFLOW__LOGGING__NAMESPACE_LEVELS="${AIRFLOW__LOGGING__NAMESPACE_LEVELS:-great_expectations=WARNING kafka=WARNING urllib3=WARNING sqlalchemy=WARNING}"
# Without it, tasks look for the execution API on the default port and fail to start.
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
export DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false
export PATH="$VENV_BIN:$PATH"

if [[ ! -x "$VENV_BIN/airflow" ]]; then
  echo "airflow is not installed in .venv: run 'make setup' first" >&2
  exit 1
fi
mkdir -p "$AIRFLOW_HOME"
# OpenLineage (the DAG's runs and tasks, and dbt's models): MOTCUA_LINEAGE* mapped to Airflow's
# [openlineage] settings and the client's (motcua/lineage.py); by default a file under the state folder.
lineage_env="$("$VENV_BIN/python" -m motcua lineage env)" || exit 2
eval "$lineage_env"

ensure_metadata() {
  # SQLite is fine for one machine; `db migrate` is idempotent (a few seconds when up to date).
  airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
    echo "airflow db migrate failed; see $AIRFLOW_HOME/db-migrate.log" >&2; exit 1; }
}

case "${1:-standalone}" in
  standalone)
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
      echo "port $PORT on 127.0.0.1 is taken (Airflow already running?); choose another: AIRFLOW_PORT=8791 $0" >&2
      exit 2
    fi
    ensure_metadata
    passwords="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
    cat <<EOF
Airflow for $ROOT
  UI:        http://127.0.0.1:$PORT   (DAG kpi_nightly; paused at creation: unpause it to schedule nights)
  login:     user "admin"; its generated password is in $passwords (readable by you only)
  one night: motcua nightly rerun --night YYYY-MM-DD   (through the scheduler; task logs in the UI)
  stop:      Ctrl-C
EOF
    pids=()
    stop() { trap - INT TERM EXIT; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
    trap 'stop; exit 0' INT TERM
    trap stop EXIT
    mkdir -p "$AIRFLOW_HOME/logs"
    airflow api-server >"$AIRFLOW_HOME/logs/api-server.out" 2>&1 & pids+=($!)
    airflow dag-processor >"$AIRFLOW_HOME/logs/dag-processor.out" 2>&1 & pids+=($!)
    airflow scheduler --skip-serve-logs >"$AIRFLOW_HOME/logs/scheduler.out" 2>&1 & pids+=($!)
    for _ in $(seq 1 120); do
      if [[ -s "$passwords" ]] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        chmod 600 "$passwords"
        echo "ready: http://127.0.0.1:$PORT (admin password in $passwords)"
        break
      fi
      sleep 2
    done
    # Stop everything as soon as one component dies (its output is in $AIRFLOW_HOME/logs/*.out).
    wait -n "${pids[@]}" || true
    echo "an Airflow component stopped; see $AIRFLOW_HOME/logs/*.out" >&2
    exit 1
    ;;
  test)
    night="${2:?usage: $0 test YYYY-MM-DD   (the local night to run, Asia/Ho_Chi_Minh)}"
    shift 2
    # The night of D is the interval [D 02:00, D+1 02:00) local; a manual run covers the interval
    # that ends at its logical date, hence D+1 at 02:00.
    logical="$(date -d "$night + 1 day" +%Y-%m-%d)T02:00:00+07:00"
    ensure_metadata
    exec airflow dags test kpi_nightly "$logical" "$@"
    ;;
  *)
    exec airflow "$@"
    ;;
esac
