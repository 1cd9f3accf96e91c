#!/usr/bin/env bash
# Runs the whole test suite against the real services (the fixtures start them if needed).
set -euo pipefail
umask 077  # secrets, logs and data this script creates are private to the account running it
cd "$(dirname "$0")/.."
export DO_NOT_TRACK=1 GX_ANALYTICS_ENABLED=false AIRFLOW__CORE__LOAD_EXAMPLES=False
# Test-only dependency: headless Chromium proves Data Docs render offline
# (tests/expectations/test_data_docs_browser.py). Not installed by setup: production needs no browser.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" != 0 ]; then echo "ERROR: the tests need Debian's chromium; install it as root (sudo make test, or apt-get install chromium)" >&2; exit 1; fi
  echo "[test] apt-get install chromium"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
bash services/postgres.sh up
bash services/kafka.sh up
.venv/bin/python -m motcua migrate >/dev/null
exec .venv/bin/python -m pytest "${@:-tests}" -p no:cacheprovider --durations=15
