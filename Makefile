# The two commands a newcomer needs: `make demo` (set up + run the pipeline on generated
# events) and `make test` (set up + run the test suite against the real services).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := .local/.setup-done

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP)  ## install system packages, the Kafka jars and the Python virtualenv

$(STAMP): requirements.txt pyproject.toml services/pom.xml scripts/setup.sh expectations/docs_assets/package-lock.json
	bash scripts/setup.sh
	@mkdir -p .local && touch $(STAMP)

up: setup  ## start PostgreSQL and Kafka on 127.0.0.1 (idempotent)
	bash services/postgres.sh up
	bash services/kafka.sh up
	$(PY) -m motcua migrate
	bash services/seal-history.sh
	$(PY) -m motcua ingest topic

down:  ## stop Kafka and PostgreSQL
	-bash services/kafka.sh down
	-bash services/postgres.sh down

status:  ## show whether the services run
	-bash services/postgres.sh status
	-bash services/kafka.sh status

demo: up  ## run the pipeline end to end on a generated event stream
	bash scripts/demo.sh

docs: up  ## serve the dbt docs of the published marts on http://127.0.0.1:8580 (MOTCUA_DOCS_PORT)
	$(PY) -m motcua docs serve --rebuild

ui: up  ## Airflow on http://127.0.0.1:8781 (AIRFLOW_PORT): the nightly DAG, its runs and task logs
	bash scripts/airflow.sh

bi: up  ## Superset dashboards on http://127.0.0.1:8088 (SUPERSET_PORT), from bi/ (installs Superset once)
	$(PY) -m motcua bi up

bi-down:  ## stop the Superset server `make bi` started
	-$(PY) -m motcua bi down

rerun: up  ## rerun one night through the Airflow scheduler: make rerun NIGHT=YYYY-MM-DD (needs `make ui`)
	@[ -n "$(NIGHT)" ] || { echo "usage: make rerun NIGHT=YYYY-MM-DD" >&2; exit 2; }
	$(PY) -m motcua nightly rerun --night $(NIGHT)

backfill: up  ## run nights FROM..TO one at a time, oldest first: make backfill FROM=D1 TO=D2 (needs `make ui`)
	@[ -n "$(FROM)" ] && [ -n "$(TO)" ] || { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD" >&2; exit 2; }
	$(PY) -m motcua nightly backfill --from-night $(FROM) --to-night $(TO)

test: setup  ## run the whole test suite against the real services
	bash scripts/test.sh

bench: up  ## run the benchmarks (prints figures and ratios)
	bash bench/run.sh

clean: down  ## remove all local state (databases, Kafka data, virtualenv)
	rm -rf .local $(VENV)

.PHONY: help setup up down status demo docs ui bi bi-down rerun backfill test bench clean
