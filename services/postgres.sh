#!/usr/bin/env bash
# PostgreSQL cluster for the project, on 127.0.0.1:$PGPORT, run as the postgres OS user.
# Usage: services/postgres.sh up|down|status|psql
# Roles and passwords: created at first start; passwords are generated into
# $STATE_DIR/secrets.env (git-ignored, mode 600) unless given in the environment.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
PG_STATE="$STATE_DIR/pg"
PGDATA_DIR="$PG_STATE/data"
SOCKET_DIR="$PG_STATE/run"
LOG="$PG_STATE/postgres.log"
SECRETS="$STATE_DIR/secrets.env"
# Where the cluster goes when the postgres user cannot reach $STATE_DIR (see preflight).
FALLBACK_STATE="/var/tmp/motcua-pg-$(printf '%s' "$STATE_DIR" | md5sum | cut -c1-10)"
use_state() { PG_STATE="$1"; PGDATA_DIR="$PG_STATE/data"; SOCKET_DIR="$PG_STATE/run"; LOG="$PG_STATE/postgres.log"; }
[ ! -f "$PGDATA_DIR/PG_VERSION" ] && [ -f "$FALLBACK_STATE/data/PG_VERSION" ] && use_state "$FALLBACK_STATE"

as_postgres() {
  if [ "$(id -un)" = postgres ]; then bash -c "$1"
  elif [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$1"
  else die "run as root (to switch to the postgres user) or as postgres"; fi
}

preflight() {
  [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL server binaries not found: run 'make setup' (apt-get install -y postgresql)."
  id postgres >/dev/null 2>&1 || die "no 'postgres' OS user: run 'make setup' (apt-get install -y postgresql)."
  check_disk
  mkdir -p "$PG_STATE"
  chown postgres: "$PG_STATE"
  # The postgres user must reach its data folder through every parent; a checkout under a
  # private home folder does not allow that, so the cluster then lives under /var/tmp.
  if ! as_postgres "test -w '$PG_STATE'"; then
    use_state "$FALLBACK_STATE"
    mkdir -p "$PG_STATE"; chmod 755 "$PG_STATE"; chown postgres: "$PG_STATE"
    info "the postgres user cannot reach $STATE_DIR; keeping the cluster in $PG_STATE"
    as_postgres "test -w '$PG_STATE'" || die "the postgres user cannot write $PG_STATE either: set MOTCUA_STATE_DIR to a folder it can reach."
  fi
}

running() { as_postgres "'$PG_BIN/pg_ctl' -D '$PGDATA_DIR' status" >/dev/null 2>&1; }

secrets() {
  # Line by line: services/kafka.sh may have written its own passwords into the file first.
  touch "$SECRETS"; chmod 600 "$SECRETS"
  local var generated=0
  for r in OWNER INGEST TRANSFORM GATE BI AUDITOR; do
    var="MOTCUA_${r}_PASSWORD"
    grep -q "^$var=" "$SECRETS" || { echo "$var=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')" >> "$SECRETS"; generated=1; }
  done
  grep -q "^MOTCUA_PII_HMAC_KEY=" "$SECRETS" \
    || { echo "MOTCUA_PII_HMAC_KEY=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')" >> "$SECRETS"; generated=1; }
  [ "$generated" = 0 ] || info "generated role passwords and the PII hashing key in $SECRETS"
  # shellcheck disable=SC1090
  set -a; source "$SECRETS"; set +a
}

init_cluster() {
  info "initialising a PostgreSQL cluster in $PGDATA_DIR"
  as_postgres "'$PG_BIN/initdb' -D '$PGDATA_DIR' -U postgres --auth-local=peer --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null" \
    || die "initdb failed: see above"
  cat >> "$PGDATA_DIR/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PGPORT
unix_socket_directories = '$SOCKET_DIR'
timezone = 'UTC'
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
checkpoint_timeout = 15min
max_connections = 100
CONF
}

bootstrap_database() {
  local sql="$PG_STATE/bootstrap.sql"
  cat > "$sql" <<SQL
do \$\$ begin
  if not exists (select from pg_roles where rolname = 'motcua_owner') then create role motcua_owner login; end if;
  if not exists (select from pg_roles where rolname = 'motcua_ingest') then create role motcua_ingest login; end if;
  if not exists (select from pg_roles where rolname = 'motcua_transform') then create role motcua_transform login; end if;
  if not exists (select from pg_roles where rolname = 'motcua_gate') then create role motcua_gate login; end if;
  -- owns the publication history once sealed (services/seal-history.sh); no one logs in as it
  if not exists (select from pg_roles where rolname = 'motcua_history') then create role motcua_history nologin; end if;
  if not exists (select from pg_roles where rolname = 'motcua_bi') then create role motcua_bi login; end if;
  if not exists (select from pg_roles where rolname = 'motcua_auditor') then create role motcua_auditor login; end if;
end \$\$;
alter role motcua_owner password '${MOTCUA_OWNER_PASSWORD}' createdb;
grant pg_signal_backend to motcua_owner;  -- lets the admin drop a database with (force)
alter role motcua_ingest password '${MOTCUA_INGEST_PASSWORD}';
alter role motcua_transform password '${MOTCUA_TRANSFORM_PASSWORD}';
alter role motcua_gate password '${MOTCUA_GATE_PASSWORD}';
alter role motcua_bi password '${MOTCUA_BI_PASSWORD}';
alter role motcua_auditor password '${MOTCUA_AUDITOR_PASSWORD}';
select 'create database $PGDATABASE owner motcua_owner'
 where not exists (select from pg_database where datname = '$PGDATABASE') \gexec
SQL
  chown postgres: "$sql"; chmod 600 "$sql"
  as_postgres "PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 -h '$SOCKET_DIR' -p '$PGPORT' -d postgres -f '$sql'" >/dev/null \
    || { rm -f "$sql"; die "could not create roles and the database: see $LOG"; }
  rm -f "$sql"
}

up() {
  preflight; secrets
  if running; then info "PostgreSQL already running on $PGHOST:$PGPORT"; bootstrap_database; return 0; fi
  port_in_use "$PGPORT" && die "port $PGPORT is taken by another process: stop it, or set PGPORT to a free port."
  mkdir -p "$SOCKET_DIR"; chown postgres: "$SOCKET_DIR"
  [ -f "$PGDATA_DIR/PG_VERSION" ] || init_cluster
  info "starting PostgreSQL on $PGHOST:$PGPORT (log: $LOG)"
  # -p on the command line: PGPORT wins over the port written at initdb, so changing it takes effect
  as_postgres "'$PG_BIN/pg_ctl' -D '$PGDATA_DIR' -l '$LOG' -w -t '$SERVICE_WAIT_SECONDS' -o '-p $PGPORT' start >/dev/null" \
    || die "PostgreSQL did not start within ${SERVICE_WAIT_SECONDS}s: see $LOG"
  bootstrap_database
  info "PostgreSQL is up; database '$PGDATABASE', roles motcua_{owner,ingest,transform,gate,bi,auditor} (+ motcua_history, no login)"
}

down() {
  if ! running; then info "PostgreSQL is not running"; return 0; fi
  as_postgres "'$PG_BIN/pg_ctl' -D '$PGDATA_DIR' -m fast -w stop >/dev/null"
  info "PostgreSQL stopped"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  restart) down; up ;;
  status) if running; then echo "postgres: running on $PGHOST:$PGPORT"; else echo "postgres: stopped"; exit 1; fi ;;
  psql) shift; as_postgres "psql -h '$SOCKET_DIR' -p '$PGPORT' -d '$PGDATABASE' $*" ;;
  *) echo "usage: $0 up|down|restart|status|psql" >&2; exit 2 ;;
esac
