#!/usr/bin/env bash
# Hand the publication history (schema audit) to motcua_history, a role no one logs in as.
# Usage: services/seal-history.sh [seal|unseal]   (default seal; PGDATABASE picks the database)
#
# A superuser step: the database owner, who runs the migrations, must not own the history
# (an owner can disable a table's triggers and grant itself UPDATE), and it cannot hand its
# objects to a role it is not a member of. Run after `migrate`; `make up` does. `unseal`
# gives the objects back to motcua_owner for a migration that must change the history's
# definition (then seal again); `motcua audit verify-history` reports an unsealed history.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
action="${1:-seal}"
case "$action" in
  seal) to=motcua_history ;;
  unseal) to=motcua_owner ;;
  *) echo "usage: $0 [seal|unseal]" >&2; exit 2 ;;
esac
here="$(dirname "${BASH_SOURCE[0]}")"
bash "$here/postgres.sh" psql -q -v ON_ERROR_STOP=1 -v to="$to" < "$here/seal-history.sql" >/dev/null \
  || die "could not $action the history of database $PGDATABASE: is it migrated (motcua ingest migrate)?"
info "history of $PGDATABASE: ${action}ed (schema audit owned by $to)"
