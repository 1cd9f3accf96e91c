"""`motcua security roles`: who may do what, as a Markdown role × object privilege table read
from the database (publish/security.py), as motcua_auditor.

Exit status: 0 printed; 2 bad usage, configuration, or the database unreachable or refusing.
"""
from __future__ import annotations

import argparse
import sys

from motcua import args as types
from motcua.errors import run_command

PROG = "motcua security"


def cmd_roles(args) -> int:
    from motcua import db
    from publish.security import markdown

    with db.connect("auditor", args.database) as conn:
        sys.stdout.write(markdown(conn))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{roles}")
    p = sub.add_parser("roles", help="print the role × object privilege table (Markdown) of the database",
                       description="print the role × object privilege table (Markdown) of the database")
    p.add_argument("--database", type=types.non_empty, help="database name (default: $PGDATABASE)")
    p.set_defaults(func=cmd_roles)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: args.func(args))
