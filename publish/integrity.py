"""Is the publication history what was published? Recompute its hash chain (migration 022).

Each publication is chained at commit: hash = sha256(previous hash || digest of the publication
row and all its values). This module recomputes every digest from the rows with its own copy of
the canonical form (not the database's function, which whoever tampered could have replaced),
walks the chain, and checks that the history is sealed (owned by motcua_history, triggers on).
A row changed, added or removed behind the triggers' back, even by a superuser, breaks the chain
at its publication. A superuser who also recomputes every later hash is caught only against a
head recorded outside the database: `--expect-head SEQ:HEX` (each run prints the current head).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

import psycopg

GENESIS = bytes(32)
HISTORY_OWNER = "motcua_history"
HISTORY_TABLES = ("publications", "published_kpi_values", "publication_chain")
# triggers that make the history append-only, stamped and chained (migrations/005, 022)
GUARD_TRIGGERS = {
    "publications": ("publications_append_only", "publications_no_truncate", "publications_stamp", "publications_chain"),
    "published_kpi_values": ("published_kpi_values_append_only", "published_kpi_values_no_truncate",
                             "published_kpi_values_closed"),
    "publication_chain": ("publication_chain_append_only", "publication_chain_no_truncate"),
}

# Same canonical form as audit.publication_digest() in migrations/022_history_chain.sql.
DIGESTS = """
select p.publication_id, p.local_date, sha256(convert_to(concat_ws('|',
         quote_nullable(p.publication_id::text), quote_nullable(p.published_at::text),
         quote_nullable(p.published_by), quote_nullable(p.run_id), quote_nullable(p.local_date::text),
         quote_nullable(p.data_interval_start::text), quote_nullable(p.data_interval_end::text),
         quote_nullable(p.git_commit), quote_nullable(p.dbt_invocation_id), quote_nullable(p.build_schema),
         quote_nullable(p.swapped::text), quote_nullable(p.gate_summary::text), quote_nullable(p.tables::text),
         encode(v.digest, 'hex')), 'UTF8'))
  from audit.publications p
 cross join lateral (
       select sha256(convert_to(coalesce(string_agg(concat_ws('|',
                quote_nullable(x.table_name), quote_nullable(x.grain::text), quote_nullable(x.measure),
                quote_nullable(x.value::text), quote_nullable(x.is_removed::text)),
                E'\\n' order by x.table_name, x.grain::text, x.measure), ''), 'UTF8')) as digest
         from audit.published_kpi_values x where x.publication_id = p.publication_id) v
 order by p.publication_id
"""


@dataclass
class Verification:
    publications: int = 0
    head: tuple[int, str] | None = None            # (seq, hash hex) of the last link
    broken: list[str] = field(default_factory=list)     # first problem first
    unsealed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.broken and not self.unsealed

    def report(self) -> str:
        lines = []
        if self.broken:
            more = f" ({len(self.broken) - 1} more problem(s) after it)" if len(self.broken) > 1 else ""
            lines.append(f"history BROKEN: {self.broken[0]}{more}")
        else:
            head = f"; head {self.head[0]}:{self.head[1]}" if self.head else ""
            lines.append(f"history chain ok: {self.publications} publication(s){head}")
        if self.unsealed:
            lines.append("history NOT SEALED (a role can still rewrite it): " + "; ".join(self.unsealed)
                         + " — run services/seal-history.sh as the database superuser")
        return "\n".join(lines)


def _name(pid: int, night: date | None) -> str:
    return f"publication {pid} (night {night})" if night else f"publication {pid}"


def check_chain(conn: psycopg.Connection, expect_head: tuple[int, str] | None = None) -> Verification:
    result = Verification()
    with conn.transaction():
        conn.execute("set local timezone = 'UTC'")
        conn.execute("set local datestyle = 'ISO, YMD'")
        digests = {pid: (night, bytes(d)) for pid, night, d in conn.execute(DIGESTS).fetchall()}
        chain = conn.execute("select seq, publication_id, prev_hash, content_digest, hash "
                             "from audit.publication_chain order by seq").fetchall()
    result.publications = len(digests)
    previous, chained = GENESIS, set()
    for expected_seq, (seq, pid, prev_hash, content_digest, hash_) in enumerate(chain, start=1):
        prev_hash, content_digest, hash_ = bytes(prev_hash), bytes(content_digest), bytes(hash_)
        night = digests.get(pid, (None, b""))[0]
        where = f"{_name(pid, night)}, link {seq}"
        chained.add(pid)
        if seq != expected_seq:
            result.broken.append(f"{where}: link {expected_seq} is missing (a link was removed)")
        elif prev_hash != previous:
            result.broken.append(f"{where}: does not follow link {seq - 1} (a link was removed or rewritten)")
        elif hashlib.sha256(prev_hash + content_digest).digest() != hash_:
            result.broken.append(f"{where}: its hash does not match its content digest (the link was rewritten)")
        elif pid not in digests:
            result.broken.append(f"{where}: the publication row is gone (deleted)")
        elif digests[pid][1] != content_digest:
            result.broken.append(f"{where}: its row or values differ from what was chained (changed, added or "
                                 "removed after publication)")
        previous = hash_
        result.head = (seq, hash_.hex())
    for pid in sorted(set(digests) - chained):
        result.broken.append(f"{_name(pid, digests[pid][0])}: not in the chain (inserted with the chain trigger off)")
    if expect_head is not None:
        seq, hex_ = expect_head
        recorded = next((bytes(h).hex() for s, _, _, _, h in chain if s == seq), None)
        if recorded != hex_.lower():
            result.broken.insert(0, f"link {seq}: hash {recorded or 'missing'} differs from the head recorded "
                                    f"outside the database ({hex_}): the chain was recomputed")
    return result


def check_seal(conn: psycopg.Connection) -> list[str]:
    """What keeps the history from being rewritten through SQL, if missing."""
    problems = []
    owner = conn.execute("select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'audit'").fetchone()
    if owner and owner[0] != HISTORY_OWNER:
        problems.append(f"schema audit is owned by {owner[0]}")
    rows = conn.execute(
        """select c.relname, pg_get_userbyid(c.relowner),
                  coalesce(array_agg(t.tgname::text) filter (where t.tgenabled <> 'D'), '{}')
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             left join pg_trigger t on t.tgrelid = c.oid and not t.tgisinternal
            where n.nspname = 'audit' and c.relname = any(%s)
            group by c.relname, c.relowner""",
        (list(HISTORY_TABLES),),
    ).fetchall()
    found = {name: (owner_, set(enabled)) for name, owner_, enabled in rows}
    for table in HISTORY_TABLES:
        if table not in found:
            problems.append(f"audit.{table} is missing")
            continue
        owner_, enabled = found[table]
        if owner_ != HISTORY_OWNER:
            problems.append(f"audit.{table} is owned by {owner_}")
        off = [t for t in GUARD_TRIGGERS[table] if t not in enabled]
        if off:
            problems.append(f"audit.{table} trigger(s) {', '.join(off)} missing or disabled")
    return problems


def verify(conn: psycopg.Connection, expect_head: tuple[int, str] | None = None) -> Verification:
    result = check_chain(conn, expect_head)
    result.unsealed = check_seal(conn)
    return result
