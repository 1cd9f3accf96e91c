"""Fairness marts (docs/domain/fairness-and-early-warning.md): the gaming flags per case and the
officer-month comparison are within their domains before they are published.

- fct_case_flags: one row per case; shares of the allowance in [0, 1]; minutes past a deadline
  never negative; flag_count in [0, 5]; no personal data in its text columns.
- fairness_officer_monthly: one row per (officer, agency, month); every rate, bound, median,
  expected rate and percentile in [0, 1]; lower bound <= rate <= upper bound; a flag count never
  exceeds the cases it was checked on.

The two tables are published when the build has them (publish/config.py FAIRNESS_TABLES), so
their suites run when they exist, like the publication that copies them.
"""
from __future__ import annotations

import great_expectations as gx

from expectations.checks import BATCH, CRITICAL, expect, ident, no_rows
from expectations.suites import BuildContext, SuiteSpec
from expectations.suites import marts_sql as q

FLAGS_TABLE, MONTHLY = "fct_case_flags", "fairness_officer_monthly"
FLAGS = ("return_near_deadline", "withdrawal_near_deadline", "extension_after_deadline", "repeated_return",
         "late_recorded")
# (rate, lower bound, upper bound) of the Wilson intervals
INTERVALS = (("on_time_rate", "on_time_rate_lower", "on_time_rate_upper"),
             ("first_pass_return_rate", "first_pass_return_rate_lower", "first_pass_return_rate_upper"))
E = gx.expectations


def _rel(ctx: BuildContext, table: str) -> str:
    return f"{ctx.config.marts_schema}.{table}"


def _in_unit_interval(name: str, columns: list[str]) -> list:
    if not columns:
        return []
    outside = " or ".join(f"{ident(c)} not between 0 and 1" for c in columns)
    return [no_rows(f"{name}_fractions_in_0_1", CRITICAL,
                    f"Every share, rate, bound, median and percentile is in [0, 1] (or NULL): {', '.join(columns)}.",
                    f"select * from {BATCH} where {outside} limit 200")]


def _no_personal_data(name: str, ctx: BuildContext, relation: str) -> list:
    text = [c for c in ctx.catalog.columns(relation) if c.is_text]
    if not text:
        return []
    return [no_rows(f"{name}_no_personal_data_values", CRITICAL,
                    f"No text value in {relation} looks like an ID number, a phone number or an e-mail.",
                    q.pii_values(text))]


def _flags(ctx: BuildContext) -> SuiteSpec:
    rel = _rel(ctx, FLAGS_TABLE)
    present = set(ctx.catalog.names(rel))
    exps = [
        expect(E.ExpectColumnValuesToNotBeNull, f"{FLAGS_TABLE}_case_id_not_null", CRITICAL,
               f"{rel}.case_id is never NULL.", column="case_id"),
        no_rows(f"{FLAGS_TABLE}_key_unique", CRITICAL, f"One row per case_id in {rel}.", q.duplicate_keys("case_id")),
    ]
    exps += _in_unit_interval(FLAGS_TABLE, [c for c in ("return_share_left", "withdrawal_share_left") if c in present])
    minutes = [c for c in present if c.endswith("_minutes_past_deadline")]
    if minutes:
        exps.append(no_rows(f"{FLAGS_TABLE}_minutes_past_not_negative", CRITICAL,
                            "Working minutes past a deadline are never negative.",
                            f"select * from {BATCH} where " + " or ".join(f"{ident(c)} < 0" for c in sorted(minutes))
                            + " limit 200"))
    if "flag_count" in present:
        exps.append(expect(E.ExpectColumnValuesToBeBetween, f"{FLAGS_TABLE}_flag_count_in_0_5", CRITICAL,
                           "flag_count counts five flags.", column="flag_count", min_value=0, max_value=5))
    exps += _no_personal_data(FLAGS_TABLE, ctx, rel)
    return SuiteSpec(name=f"marts.{FLAGS_TABLE}", layer="marts", requires=(rel,), table=rel, expectations=exps)


def _monthly(ctx: BuildContext) -> SuiteSpec:
    rel = _rel(ctx, MONTHLY)
    present = set(ctx.catalog.names(rel))
    keys = ["officer_id", "agency_code", "month"]
    exps = [expect(E.ExpectColumnValuesToNotBeNull, f"{MONTHLY}_{k}_not_null", CRITICAL, f"{rel}.{k} is never NULL.",
                   column=k) for k in keys if k in present]
    exps.append(expect(E.ExpectCompoundColumnsToBeUnique, f"{MONTHLY}_key_unique", CRITICAL,
                       f"One row per ({', '.join(keys)}) in {rel}.", column_list=keys))
    fractions = sorted(c for c in present if c.endswith(("_rate", "_rate_lower", "_rate_upper", "_group_median",
                                                         "_percentile")))
    exps += _in_unit_interval(MONTHLY, fractions)
    bounded = [(r, lo, hi) for r, lo, hi in INTERVALS if {r, lo, hi} <= present]
    if bounded:
        outside = " or ".join(f"not ({ident(lo)} <= {ident(r)} and {ident(r)} <= {ident(hi)})" for r, lo, hi in bounded)
        exps.append(no_rows(f"{MONTHLY}_rate_within_its_interval", CRITICAL,
                            "Each rate lies within its Wilson interval: lower <= rate <= upper (NULL when no case).",
                            f"select officer_id, agency_code, month from {BATCH} where {outside} limit 200"))
    pairs = [(f"{f}_count", f"{f}_checked") for f in FLAGS if {f"{f}_count", f"{f}_checked"} <= present]
    if pairs:
        exps.append(no_rows(f"{MONTHLY}_flag_counts_within_checked", CRITICAL,
                            "A flag's count is never negative nor above the cases it was checked on.",
                            f"select officer_id, agency_code, month from {BATCH} where "
                            + " or ".join(f"{ident(n)} < 0 or {ident(n)} > {ident(d)}" for n, d in pairs) + " limit 200"))
    exps += _no_personal_data(MONTHLY, ctx, rel)
    return SuiteSpec(name=f"marts.{MONTHLY}", layer="marts", requires=(rel,), table=rel, expectations=exps)


def build(ctx: BuildContext) -> list[SuiteSpec]:
    """The suites of the fairness marts the build has."""
    specs = []
    if ctx.catalog.has(_rel(ctx, FLAGS_TABLE)):
        specs.append(_flags(ctx))
    if ctx.catalog.has(_rel(ctx, MONTHLY)):
        specs.append(_monthly(ctx))
    return specs
