"""`motcua audit` (the publication history) and `motcua security` (who may do what).

  motcua audit verify-history [--expect-head SEQ:HEX]
  motcua security roles

Exit status: 0 ok; 1 the history's chain is broken (the first broken publication is named) or
the history is not sealed; 2 bad usage, configuration, or the database unreachable or refusing.
Both read the database as motcua_auditor.
"""
from __future__ import annotations

import argparse
import re
import sys

from motcua import args as types
from motcua.errors import MotcuaError, run_command

AUDIT_PROG = "motcua audit"
SECURITY_PROG = "motcua security"
_HEAD = re.compile(r"^(\d+):([0-9a-fA-F]{64})$")


def head(value: str) -> tuple[int, str]:
    match = _HEAD.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"expected SEQ:HEX (a link number and a 64-hex-digit sha256), got {value!r}")
    return int(match.group(1)), match.group(2)


def cmd_verify(args) -> int:
    from ingestion import db
    from publish.integrity import verify

    with db.connect("auditor", args.database) as conn:
        if conn.execute("select to_regclass('audit.publication_chain')").fetchone()[0] is None:
            raise MotcuaError("no audit.publication_chain in this database",
                              hint="run the migrations ('motcua ingest migrate')")
        result = verify(conn, args.expect_head)
    print(result.report(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def cmd_roles(args) -> int:
    from ingestion import db
    from publish.security import markdown

    with db.connect("auditor", args.database) as conn:
        print(markdown(conn), end="")
    return 0


def build_audit_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=AUDIT_PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{verify-history}")
    p = sub.add_parser("verify-history", help="recompute the publication history's hash chain and check its seal",
                       description="recompute the publication history's hash chain and check its seal")
    p.add_argument("--expect-head", type=head, metavar="SEQ:HEX",
                   help="a head printed by an earlier run and kept outside the database: it must still be there")
    p.add_argument("--database", type=types.non_empty, help="database name (default: $PGDATABASE)")
    p.set_defaults(func=cmd_verify)
    return parser


def build_security_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=SECURITY_PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{roles}")
    p = sub.add_parser("roles", help="print the role × object privilege table (Markdown) of the database",
                       description="print the role × object privilege table (Markdown) of the database")
    p.add_argument("--database", type=types.non_empty, help="database name (default: $PGDATABASE)")
    p.set_defaults(func=cmd_roles)
    return parser


def audit_main(argv: list[str] | None = None) -> int:
    args = build_audit_parser().parse_args(argv)
    return run_command(AUDIT_PROG, lambda: args.func(args))


def security_main(argv: list[str] | None = None) -> int:
    args = build_security_parser().parse_args(argv)
    return run_command(SECURITY_PROG, lambda: args.func(args))
