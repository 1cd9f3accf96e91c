"""`motcua`: the project's one console script.

Each subcommand hands its remaining arguments to the module that owns the job, and every
subcommand documents itself with `motcua <subcommand> --help`. The older entry points
(`motcua-ingest`, `python -m ingestion.cli|publish|expectations|workcal|ingestion.generator`)
run the same code and stay as aliases.

Exit status (motcua/errors.py): 0 success; 1 a check found a problem (e.g. reconcile mismatch);
2 bad usage or configuration, a service that cannot be reached, a time limit reached, or stopped
by SIGINT/SIGTERM before the job was done; 3 data blocked by a quality gate. Failures are one
line on stderr saying what to do.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

# subcommand -> ("module:function", one-line help). The function takes argv and returns an exit code.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ingestion.cli:main", "capture: migrate, topic, consume, reconcile"),
    "migrate": ("ingestion.cli:migrate_main", "apply the pending migrations (= ingest migrate)"),
    "reconcile": ("ingestion.cli:reconcile_main", "produced = loaded + redeliveries + quarantined (= ingest reconcile)"),
    "generate": ("ingestion.generator.__main__:main", "produce a realistic generated event stream"),
    "calendar": ("workcal.__main__:main", "the Vietnamese working-time calendar (seed export)"),
    "gate": ("expectations.__main__:main", "Great Expectations quality gate (gate, list)"),
    "publish": ("publish.__main__:main", "publish a gated build, list publications"),
    "psql": ("motcua.psql:main", "psql as a project role (bi, auditor, transform, ingest, owner)"),
    "docs": ("motcua.docs:main", "dbt docs of the published marts: build, serve"),
    "pii": ("ingestion.pii:main", "the personal-data hashing key: status, rotate-key"),
    "audit": ("publish.audit_cli:main", "auditors: verify-history (hash chain, seal), trace (a figure to its raw events, --verify)"),
    "security": ("publish.security_cli:main", "who may do what: roles (privilege table from the database)"),
    "nightly": ("motcua.nightly:main", "rerun or backfill nights through the Airflow scheduler"),
    "kpi": ("motcua.kpi_registry:main", "the KPI registry: generate the dbt files derived from it (--check)"),
    "statement": ("motcua.statement.__main__:main", "an officer's evaluation statement (HTML/PDF), or an agency's"),
    "staff": ("ingestion.staff_import.cli:main", "assessments from a spreadsheet to the staff topic: import, template"),
    "due-soon": ("motcua.due_soon:main", "early warning: cases due soon (show), intraday refresh, digests (alert)"),
    "bi": ("motcua.bi:main", "Apache Superset with the dashboards of bi/: up, down, status, bundle"),
    "lineage": ("motcua.lineage:main", "where the nightly run's OpenLineage events go (show, env)"),
}


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    rows = "\n".join(f"  {name:<{width}}  {help_}" for name, (_, help_) in SUBCOMMANDS.items())
    return (f"usage: motcua <subcommand> [args…]\n\nsubcommands:\n{rows}\n\n`motcua <subcommand> --help` for each.\n\n"
            "exit status: 0 done; 1 a check found a problem; 2 bad usage or configuration, a service unreachable,\n"
            "a time limit reached or stopped by a signal; 3 blocked by a quality gate")


def resolve(name: str) -> Callable[[list[str]], int]:
    target, _ = SUBCOMMANDS[name]
    module_name, func_name = target.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(_usage())
        return 0
    name, rest = args[0], args[1:]
    if name not in SUBCOMMANDS:
        print(f"motcua: unknown subcommand {name!r}; run 'motcua --help' for the list.", file=sys.stderr)
        return 2
    return int(resolve(name)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
