#!/usr/bin/env bash
# docker-entrypoint-initdb.d hook for the compose stack: the project's least-privilege roles.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U postgres -d motcua <<SQL
create role motcua_owner login password '${MOTCUA_OWNER_PASSWORD}' createdb;
create role motcua_ingest login password '${MOTCUA_INGEST_PASSWORD}';
create role motcua_transform login password '${MOTCUA_TRANSFORM_PASSWORD}';
create role motcua_gate login password '${MOTCUA_GATE_PASSWORD:?MOTCUA_GATE_PASSWORD is required}';
create role motcua_history nologin;
create role motcua_bi login password '${MOTCUA_BI_PASSWORD:?MOTCUA_BI_PASSWORD is required}';
create role motcua_auditor login password '${MOTCUA_AUDITOR_PASSWORD:?MOTCUA_AUDITOR_PASSWORD is required}';
alter database motcua owner to motcua_owner;
SQL
