#!/usr/bin/env bash
# Local Airflow for the project's DAGs (kpi_nightly).
#
#   bash scripts/airflow.sh                 # airflow standalone on http://127.0.0.1:${AIRFLOW_PORT:-8781}
#   bash scripts/airflow.sh test 2026-03-02 # run the night of 2 March 2026 once, in-process (airflow dags test)
#   bash scripts/airflow.sh <airflow args>  # any airflow command with the same settings, e.g. `dags list`
#
# State lives in .local/airflow (SQLite metadata, logs, the generated admin password).
# The services (PostgreSQL, Kafka) must be up: `make up`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV_BIN="$ROOT/.venv/bin"
# Not 8080 (often taken), nor 8793/8794: Airflow's own log servers (scheduler, triggerer) use those
# by default; they move to PORT+1 and PORT+2 here.
PORT="${AIRFLOW_PORT:-8781}"

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
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="${AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT:-$((PORT + 1))}"
export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="${AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT:-$((PORT + 2))}"
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

ensure_metadata() {
  # SQLite is fine for one machine; `db migrate` is idempotent (a few seconds when up to date).
  airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 || {
    echo "airflow db migrate failed; see $AIRFLOW_HOME/db-migrate.log" >&2; exit 1; }
}

case "${1:-standalone}" in
  standalone)
    for p in "$PORT" "$AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT" "$AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT"; do
      if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        echo "port $p on 127.0.0.1 is taken (Airflow already running?); choose others: AIRFLOW_PORT=8791 $0" >&2
        exit 1
      fi
    done
    ensure_metadata
    cat <<EOF
Airflow standalone for $ROOT
  UI:        http://127.0.0.1:$PORT   (DAG kpi_nightly; paused at creation — unpause it to schedule nights)
  login:     user "admin"; the password is generated on first start into
             $AIRFLOW_HOME/simple_auth_manager_passwords.json.generated
             (shown below once it exists: cat that file)
  one night: bash scripts/airflow.sh test YYYY-MM-DD      (in-process, no scheduler needed)
  stop:      Ctrl-C
EOF
    ( for _ in $(seq 1 120); do
        f="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
        if [[ -s "$f" ]]; then echo "login (SimpleAuthManager): $(cat "$f")"; break; fi
        sleep 2
      done ) &
    exec airflow standalone
    ;;
  test)
    night="${2:?usage: $0 test YYYY-MM-DD   (the local night to run, Asia/Ho_Chi_Minh)}"
    shift 2
    # The night of D is the interval [D 02:00, D+1 02:00) local; a manual run covers the interval
    # that ends at its logical date, hence D+1 at 02:00.
    logical="$(date -d "$night + 1 day" +%Y-%m-%d)T02:00:00+07:00"
    ensure_metadata
    # Airflow 3.3.2's `dags test` crashes on a successful run with a DeadlineAlert; the DAG's
    # deadline watchdog still checks the deadline (see dags/kpi_nightly.py).
    export MOTCUA_NIGHTLY_NATIVE_DEADLINE=0
    exec airflow dags test kpi_nightly "$logical" "$@"
    ;;
  *)
    exec airflow "$@"
    ;;
esac
