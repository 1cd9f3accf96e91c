"""`motcua audit verify-history [--expect-head SEQ:HEX]`: is the publication history intact?

Recomputes the history's hash chain (publish/integrity.py) as motcua_auditor. Exit status: 0 ok
(the head is printed: keep it outside the database); 1 the chain is broken (the first broken
publication is named) or the history is not sealed; 2 bad usage, configuration, or the database
unreachable or refusing.
"""
from __future__ import annotations

import argparse
import re
import sys

from motcua import args as types
from motcua.errors import MotcuaError, run_command

PROG = "motcua audit"
_HEAD = re.compile(r"^(\d+):([0-9a-fA-F]{64})$")


def head(value: str) -> tuple[int, str]:
    match = _HEAD.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"expected SEQ:HEX (a link number and a 64-hex-digit sha256), got {value!r}")
    return int(match.group(1)), match.group(2)


def cmd_verify(args) -> int:
    from motcua import db
    from publish.integrity import verify

    with db.connect("auditor", args.database) as conn:
        if conn.execute("select to_regclass('audit.publication_chain')").fetchone()[0] is None:
            raise MotcuaError("no audit.publication_chain in this database",
                              hint="run the migrations ('motcua ingest migrate')")
        result = verify(conn, args.expect_head)
    print(result.report(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = types.Parser(prog=PROG, description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="{verify-history}")
    p = sub.add_parser("verify-history", help="recompute the publication history's hash chain and check its seal",
                       description="recompute the publication history's hash chain and check its seal")
    p.add_argument("--expect-head", type=head, metavar="SEQ:HEX",
                   help="a head printed by an earlier run and kept outside the database: it must still be there")
    p.add_argument("--database", type=types.non_empty, help="database name (default: $PGDATABASE)")
    p.set_defaults(func=cmd_verify)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: args.func(args))
