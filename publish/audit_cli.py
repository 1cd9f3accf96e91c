"""`motcua audit` (the publication history) and `motcua security` (who may do what).

  motcua audit verify-history [--expect-head SEQ:HEX]
  motcua security roles

Exit status: 0 ok; 1 the history's chain is broken or the history is not sealed (the first
broken publication is named); 2 configuration or the database cannot be reached.
"""
from __future__ import annotations

import argparse
import re
import sys

_HEAD = re.compile(r"^(\d+):([0-9a-fA-F]{64})$")


def _head(value: str) -> tuple[int, str]:
    match = _HEAD.match(value)
    if not match:
        raise argparse.ArgumentTypeError(f"expected SEQ:HEX (a link number and a 64-hex-digit sha256), got {value!r}")
    return int(match.group(1)), match.group(2)


def audit_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua audit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    verify = sub.add_parser("verify-history", help="recompute the publication history's hash chain")
    verify.add_argument("--expect-head", type=_head, metavar="SEQ:HEX",
                        help="a head printed by an earlier run and kept outside the database: it must still be there")
    verify.add_argument("--database", help="database name (default PGDATABASE)")
    args = parser.parse_args(argv)

    from ingestion import db
    from publish.integrity import verify as verify_history

    try:
        with db.connect("auditor", args.database) as conn:
            result = verify_history(conn, args.expect_head)
    except db.DatabaseConfigError as exc:
        print(f"verify-history: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - e.g. a history table dropped: say so, do not trace back
        print(f"verify-history: cannot read the history ({type(exc).__name__}: {str(exc).strip()}); "
              "is the database migrated (motcua ingest migrate)?", file=sys.stderr)
        return 2
    print(result.report(), file=sys.stdout if result.ok else sys.stderr)
    return 0 if result.ok else 1


def security_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="motcua security", description="who may do what, from the database")
    sub = parser.add_subparsers(dest="command", required=True)
    roles = sub.add_parser("roles", help="print the role × object privilege table (Markdown) of the database")
    roles.add_argument("--database", help="database name (default PGDATABASE)")
    args = parser.parse_args(argv)

    from ingestion import db
    from publish.security import markdown

    try:
        with db.connect("auditor", args.database) as conn:
            print(markdown(conn), end="")
    except db.DatabaseConfigError as exc:
        print(f"security roles: {exc}", file=sys.stderr)
        return 2
    return 0
