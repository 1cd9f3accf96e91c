"""`motcua`: the project's one console script.

Each subcommand hands its remaining arguments to the module that owns the job, so
`motcua ingest consume --bounded` is exactly `motcua-ingest consume --bounded`, and every
subcommand documents itself with `motcua <subcommand> --help`.

Exit status: 0 success; 1 a check found a problem (e.g. reconcile mismatch); 2 bad usage,
configuration or a service that cannot be reached; 3 data blocked by a quality gate.
"""
from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

# subcommand -> ("module:function", one-line help). The function takes argv and returns an exit code.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ingestion.cli:main", "capture: migrate, topic, consume, reconcile"),
    "generate": ("ingestion.generator.__main__:main", "produce a realistic generated event stream"),
    "calendar": ("workcal.__main__:main", "the Vietnamese working-time calendar (seed export)"),
    "gate": ("expectations.__main__:main", "Great Expectations quality gate (gate, list)"),
    "publish": ("publish.__main__:main", "publish a gated build, list publications"),
    "nightly": ("motcua.nightly:main", "rerun or backfill nights through the Airflow scheduler"),
}


def _usage() -> str:
    width = max(len(name) for name in SUBCOMMANDS)
    rows = "\n".join(f"  {name:<{width}}  {help_}" for name, (_, help_) in SUBCOMMANDS.items())
    return f"usage: motcua <subcommand> [args…]\n\nsubcommands:\n{rows}\n\n`motcua <subcommand> --help` for each."


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
