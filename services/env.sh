# Defaults for the local services; every value can be overridden from the environment.
# Sourced by the other scripts in this folder and by the Makefile's shell recipes.
PROJECT_ROOT="${PROJECT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
STATE_DIR="${MOTCUA_STATE_DIR:-$PROJECT_ROOT/.local}"
export PGHOST="${PGHOST:-127.0.0.1}"
export PGPORT="${PGPORT:-25432}"   # below 32768: never an ephemeral client port
export PGDATABASE="${PGDATABASE:-motcua}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
export KAFKA_BOOTSTRAP_SERVERS="${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:$KAFKA_PORT}"
export KAFKA_TOPIC="${KAFKA_TOPIC:-motcua.case-events}"
SERVICE_WAIT_SECONDS="${SERVICE_WAIT_SECONDS:-60}"
# Raw topic retention (days): the raw layer in PostgreSQL is the system of record, Kafka only a
# buffer in front of it, so applicants' personal data does not stay there longer than this.
export MOTCUA_RAW_TOPIC_RETENTION_DAYS="${MOTCUA_RAW_TOPIC_RETENTION_DAYS:-30}"

# Everything the scripts create (secrets, bootstrap SQL, Kafka's data and config) is private to
# the account that runs them; folders that another OS user must reach are opened explicitly.
umask 077

die() { echo "ERROR: $*" >&2; exit 1; }
info() { echo "[services] $*"; }

port_in_use() {  # true when something listens on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

check_disk() {
  local free_kb
  mkdir -p "$STATE_DIR"
  # Only traversable by others (the postgres OS user reaches its own, postgres-owned pg/ folder):
  # nobody else can list the state folder or read what it holds.
  chmod 711 "$STATE_DIR" 2>/dev/null || true
  free_kb=$(df -Pk "$STATE_DIR" | awk 'NR==2{print $4}')
  [ "${free_kb:-0}" -gt 1048576 ] || die "less than 1 GiB free under $STATE_DIR: free disk space or set MOTCUA_STATE_DIR to a larger disk."
}
