"""`motcua pii`: the key that hashes applicants' personal data (MOTCUA_PII_HMAC_KEY).

  motcua pii status        # is MOTCUA_PII_HMAC_KEY the key the database's hashes were made with?
  motcua pii rotate-key    # adopt MOTCUA_PII_HMAC_KEY as the new key, on purpose

The database keeps only the key's fingerprint (HMAC-SHA256 of a fixed label under the key),
recorded by the first dbt run; dbt refuses to run with any other key. Rotating records the new
fingerprint (as motcua_owner) and the rotation itself; the next dbt run then stores the new key,
and every hash is recomputed with it: applicant hashes are computed by views (staging,
intermediate, lineage.case_applicants) from the raw layer, no table keeps one.
Exit codes: 0 ok; 1 status: the key does not match; 2 configuration or database unreachable.
"""
from __future__ import annotations

import argparse
import sys

from motcua import db
from motcua.settings import local_secret

KEY_VAR = "MOTCUA_PII_HMAC_KEY"
MIN_KEY_LENGTH = 16


def _key() -> str:
    key = local_secret(KEY_VAR) or ""
    if len(key) < MIN_KEY_LENGTH:
        raise db.DatabaseSettingsError(f"{KEY_VAR} is missing or shorter than {MIN_KEY_LENGTH} characters: set it in the environment")
    return key


def _stored(conn) -> str | None:
    row = conn.execute("select fingerprint from pii.key_fingerprint").fetchone()
    return row[0] if row else None


def cmd_status(args) -> int:
    key = _key()
    with db.connect("transform") as conn:   # dbt's role: it holds the key anyway
        given = conn.execute("select pii.key_fingerprint(%s)", (key,)).fetchone()[0]
        stored = _stored(conn)
    if stored is None:
        print(f"no key recorded yet: the next dbt run records {KEY_VAR} (fingerprint {given[:12]}…)")
        return 0
    if stored == given:
        print(f"{KEY_VAR} matches the recorded key (fingerprint {given[:12]}…)")
        return 0
    print(f"{KEY_VAR} (fingerprint {given[:12]}…) is not the recorded key ({stored[:12]}…): "
          "dbt will refuse to run; set the original key, or run 'motcua pii rotate-key'", file=sys.stderr)
    return 1


def cmd_rotate(args) -> int:
    key = _key()
    with db.connect("owner") as conn:
        new = conn.execute("select pii.key_fingerprint(%s)", (key,)).fetchone()[0]
        old = conn.execute("select fingerprint from pii.key_fingerprint for update").fetchone()
        old_fp = old[0] if old else None
        if old_fp == new:
            print(f"{KEY_VAR} is already the recorded key (fingerprint {new[:12]}…): nothing to rotate")
            return 0
        conn.execute("""insert into pii.key_fingerprint (singleton, fingerprint) values (true, %s)
                        on conflict (singleton) do update
                        set fingerprint = excluded.fingerprint, recorded_at = now(), recorded_by = session_user""",
                     (new,))
        conn.execute("insert into pii.key_rotations (old_fingerprint, new_fingerprint) values (%s, %s)", (old_fp, new))
    print(f"rotated: the next dbt run uses the new key (fingerprint {new[:12]}…, was "
          f"{old_fp[:12] + '…' if old_fp else 'none'}); every applicant hash is recomputed with it")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua pii", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("status", help="does MOTCUA_PII_HMAC_KEY match the recorded key?").set_defaults(func=cmd_status)
    sub.add_parser("rotate-key", help="adopt MOTCUA_PII_HMAC_KEY as the new key (records its fingerprint)"
                   ).set_defaults(func=cmd_rotate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except db.DatabaseConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
