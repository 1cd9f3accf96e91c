#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine (run as root):
# system packages (PostgreSQL, Java, Maven, npm), the Kafka broker jars, the Data Docs browser
# assets and the Python virtualenv.
set -euo pipefail
umask 077  # secrets, logs and data this script creates are private to the account running it
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

need_apt=()
[ -x "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/pg_ctl" ] || need_apt+=(postgresql postgresql-contrib)
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "[setup] apt-get install ${need_apt[*]}"
  if [ "$(id -u)" != 0 ]; then echo "ERROR: installing ${need_apt[*]} needs root (sudo make setup)" >&2; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  # Debian starts a default cluster on 5432; the project runs its own, so stop that one.
  command -v pg_ctlcluster >/dev/null && (pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | while read -r v c; do pg_ctlcluster "$v" "$c" stop || true; done)
fi

bash services/kafka.sh fetch

# Data Docs' scripts, styles and fonts (versions pinned by GX's HTML), served from the site itself
# so the docs work offline (expectations/docs_offline.py). Reinstalled only when the lock changes.
DOCS_ASSETS="${MOTCUA_STATE_DIR:-.local}/docs_assets"
if ! cmp -s expectations/docs_assets/package-lock.json "$DOCS_ASSETS/installed-lock.json"; then
  echo "[setup] installing the Data Docs browser assets from npm into $DOCS_ASSETS"
  mkdir -p "$DOCS_ASSETS"
  cp expectations/docs_assets/package.json expectations/docs_assets/package-lock.json "$DOCS_ASSETS/"
  npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error --prefix "$DOCS_ASSETS" >/dev/null
  cp expectations/docs_assets/package-lock.json "$DOCS_ASSETS/installed-lock.json"
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating the virtualenv in $VENV"
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
echo "[setup] installing Python packages (first run takes a minute)"
"$VENV/bin/pip" install -q -r requirements.txt
"$VENV/bin/pip" install -q --no-deps -e .
"$VENV/bin/pip" check
echo "[setup] done"
