"""SQL of the marts checks that span tables: reconciliation, activity, personal data.

Each function returns a query that selects the offending rows (identifiers and counts only).
"""
from __future__ import annotations

from expectations.catalog import Column
from expectations.checks import BATCH, ident, lit

# A run of 9 or 12 digits (CMND / CCCD numbers), a Vietnamese mobile number (optionally with
# +84 and single separators), or an e-mail address, standing as a token of its own. Codes such
# as case ids ("000.00.12.H26-260302-0001") or procedure codes ("1.001612") never contain such
# runs, and a digit run inside a longer alphanumeric token (a keyed hash's hex digits: about one
# hash in two has nine digits in a row) is not a number someone could read.
PII_VALUE_REGEX = (
    r"(^|[^0-9A-Za-z])([0-9]{12}|[0-9]{9})($|[^0-9A-Za-z])"
    r"|(^|[^0-9A-Za-z])(\+?84|0)[35789]([ .-]?[0-9]){8}($|[^0-9A-Za-z])"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Column names that announce personal data. A keyed hash (suffix _hmac / _hash) is the
# domain's accepted pseudonym and is allowed.
PII_NAME_REGEX = (
    r"applicant|full_?name|ho_?ten|id_?number|citizen|cccd|cmnd|national_?id|passport|phone"
    r"|dien_?thoai|mobile|e_?mail|address|dia_?chi|birth|ngay_?sinh"
)
PII_NAME_ALLOWED_SUFFIX = r"_(hmac|hash)$"


def month_bounds(column: str, tz: str) -> tuple[str, str]:
    return (f"({column}::timestamp at time zone {lit(tz)})",
            f"(({column} + interval '1 month')::timestamp at time zone {lit(tz)})")


def day_bounds(column: str, tz: str) -> tuple[str, str]:
    return (f"({column}::timestamp at time zone {lit(tz)})",
            f"(({column} + 1)::timestamp at time zone {lit(tz)})")


def local_month(column: str, tz: str) -> str:
    return f"date_trunc('month', {column} at time zone {lit(tz)})::date"


def pii_values(text_columns: list[Column]) -> str:
    """Counts, per text column, the rows whose value looks like personal data (no values).

    Cheap tests guard the regular expression (PostgreSQL's regex costs ~1 µs per character):
    a value shorter than 9 bytes, or with fewer than 9 digits and no '@', cannot match. At a
    million cases this took the check from 17 s to 3 s.
    """
    digits_re, mail_re = PII_VALUE_REGEX.rsplit("|", 1)
    counts = []
    for i, c in enumerate(text_columns):
        v = f"{ident(c.name)}::text"
        counts.append(
            f"count(*) filter (where octet_length({v}) >= 9 and ("
            f"(length({v}) - length(translate({v}, '0123456789', '')) >= 9 and {v} ~ {lit(digits_re)})"
            f" or (strpos({v}, '@') > 0 and {v} ~ {lit(mail_re)}))) as m{i}")
    pairs = ", ".join(f"({lit(c.name)}, s.m{i})" for i, c in enumerate(text_columns))
    return f"""select v.column_name, v.rows_matching
  from (select {", ".join(counts)} from {BATCH}) as s,
       lateral (values {pairs}) as v(column_name, rows_matching)
 where v.rows_matching > 0"""


def negative_counts(columns: list[str]) -> str:
    """Per count column, the rows where it is negative (one scan for all columns)."""
    counts = ", ".join(f"count(*) filter (where {ident(c)} < 0) as n{i}" for i, c in enumerate(columns))
    pairs = ", ".join(f"({lit(c)}, s.n{i})" for i, c in enumerate(columns))
    return f"""select v.column_name, v.rows_negative
  from (select {counts} from {BATCH}) as s,
       lateral (values {pairs}) as v(column_name, rows_negative)
 where v.rows_negative > 0"""


def pii_names(relation: str, allowed: tuple[str, ...]) -> str:
    """Columns named like personal data. Allowed: contract names (e.g. waiting_for_applicant),
    keyed hashes, and boolean flags (is_waiting_for_applicant holds no personal data)."""
    schema, table = relation.split(".", 1)
    allowed_sql = ", ".join(lit(a) for a in allowed) or "''"
    return f"""select column_name from information_schema.columns
 where table_schema = {lit(schema)} and table_name = {lit(table)}
   and column_name ~* {lit(PII_NAME_REGEX)} and column_name !~* {lit(PII_NAME_ALLOWED_SUFFIX)}
   and column_name not in ({allowed_sql}) and data_type <> 'boolean'"""


def rate_consistency(rate: str, numerator: str, denominator: str, tolerance: float, keys: list[str]) -> str:
    """Contract: rate = numerator / denominator, NULL exactly when the denominator is zero."""
    r, n, d = ident(rate), ident(numerator), ident(denominator)
    key_list = ", ".join(ident(k) for k in keys)
    return f"""select {key_list}, {n} as numerator, {d} as denominator, {r} as rate from {BATCH}
 where (coalesce({d}, 0) = 0) <> ({r} is null)
    or abs({r} - {n}::numeric / nullif({d}, 0)) > {tolerance}"""


def no_activity(relation: str, keys: list[str], period: str, monthly: bool, counts: list[str],
                actor: str, tz: str) -> str:
    """Rows whose counts are all zero and whose actor left no raw event in the period."""
    zero = " + ".join(f"coalesce({ident(c)}, 0)" for c in counts) or "0"
    lo, hi = (month_bounds if monthly else day_bounds)(f"k.{ident(period)}", tz)
    if actor == "officer_id":
        who = ("(e.officer_id = k.officer_id or e.payload -> 'data' ->> 'to_officer_id' = k.officer_id)")
    else:
        who = "e.agency_code = k.agency_code"
    key_list = ", ".join(f"k.{ident(c)}" for c in keys)
    return f"""select {key_list} from {relation} k
 where {zero} = 0
   and not exists (select 1 from raw.case_events e
                    where e.occurred_at >= {lo} and e.occurred_at < {hi} and {who})"""


def agency_vs_fct(fct: str, agency: str, tz: str, received: str, completed: str,
                  has_completing_agency: bool) -> str:
    """Completions count for the agency that completed the case when fct_cases records it."""
    rm, cm = local_month("received_at", tz), local_month("completed_at", tz)
    completer = "coalesce(completing_agency_code, agency_code)" if has_completing_agency else "agency_code"
    return f"""with f as (
  select agency_code, month, sum(r) as received, sum(c) as completed from (
    select agency_code, {rm} as month, 1 as r, 0 as c from {fct} where received_at is not null
    union all
    select {completer}, {cm}, 0, 1 from {fct} where status = 'completed' and completed_at is not null
  ) x group by agency_code, month),
a as (select agency_code, month, {ident(received)} as received, {ident(completed)} as completed from {agency})
select coalesce(a.agency_code, f.agency_code) as agency_code, coalesce(a.month, f.month) as month,
       a.received as kpi_received, coalesce(f.received, 0) as fct_received,
       a.completed as kpi_completed, coalesce(f.completed, 0) as fct_completed
  from a full join f on a.agency_code = f.agency_code and a.month = f.month
 where coalesce(a.received, 0) <> coalesce(f.received, 0)
    or coalesce(a.completed, 0) <> coalesce(f.completed, 0)
 order by 1, 2"""


def totals_match(left: str, left_keys: str, right: str, right_keys: str, keys: list[str],
                 measures: list[str]) -> str:
    """Sums of `measures` agree between two tables per key (e.g. per month, per officer-month).

    left_keys / right_keys are select lists producing `keys` in order, e.g.
    "officer_id, date_trunc('month', day)::date as month".
    """
    ordinals = ", ".join(str(i + 1) for i in range(len(keys)))
    sums = ", ".join(f"sum({ident(m)}) as {ident(m)}" for m in measures)
    diffs = " or ".join(f"coalesce(l.{ident(m)}, 0) <> coalesce(r.{ident(m)}, 0)" for m in measures)
    cols = ", ".join(f"l.{ident(m)} as {ident('left_' + m)}, r.{ident(m)} as {ident('right_' + m)}"
                     for m in measures)
    on = " and ".join(f"l.{ident(k)} = r.{ident(k)}" for k in keys)
    key_out = ", ".join(f"coalesce(l.{ident(k)}, r.{ident(k)}) as {ident(k)}" for k in keys)
    return f"""with l as (select {left_keys}, {sums} from {left} group by {ordinals}),
r as (select {right_keys}, {sums} from {right} group by {ordinals})
select {key_out}, {cols}
  from l full join r on {on}
 where {diffs}
 order by {ordinals}"""


def duplicate_keys(key: str) -> str:
    # A hash aggregate: GX's uniqueness metric sorts the table twice (5 s at a million rows).
    return f"select {ident(key)}, count(*) as rows from {BATCH} group by 1 having count(*) > 1 limit 200"


def fct_vs_raw_receipts(fct: str, cutoff: str, rejected: str | None = None) -> str:
    """Case by case: every raw receipt loaded before the cutoff is in fct_cases with the same
    (first) receipt instant, and every received case in fct_cases has a raw receipt. Later
    receipts may or may not be in the marts yet (they were built after the cutoff). Receipts
    staging left out (`rejected`, listed with a reason by the staging gate) do not count."""
    skip = f" and event_id not in (select event_id from {rejected})" if rejected else ""
    return f"""with r as (
  select case_id, min(occurred_at) as received_at, bool_or(ingested_at < {cutoff}) as loaded_before_cutoff
    from raw.case_events where event_type = 'case.received'{skip} group by case_id)
select coalesce(f.case_id, r.case_id) as case_id,
       case when f.case_id is null then 'raw receipt, missing from fct_cases'
            when r.case_id is null then 'in fct_cases without a raw receipt'
            else 'received_at differs from the first raw receipt' end as problem
  from {fct} f full join r on r.case_id = f.case_id
 where (f.case_id is null and r.loaded_before_cutoff)
    or (r.case_id is null and f.received_at is not null)
    or (f.case_id is not null and r.case_id is not null and f.received_at is distinct from r.received_at)
 limit 200"""
