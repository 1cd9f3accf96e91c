"""Evaluation marts (Decree 335 method v1): the scores, bands and quota about to be published.

Read from the build schema like the other marts suites. Thresholds come from
kpi_models/eval_settings.csv (versioned by valid_from; the version in force on a period's first
day applies), so a check and the models always use the same numbers:

- eval_officer_period: total in [0, 100]; task points in [0, task_max], general in
  [0, general_max]; band_before_quota is the band the total earns (pending when the total is
  NULL or the position unknown); band is band_before_quota, except a quota demotion
  (excellent → good); a tie demotion is a demotion;
- eval_group_period: quota_k = floor(quota_ratio × (E + G) ÷ (1 + quota_ratio)) and
  excellent_after ≤ quota_k; every count equals the one recomputed from eval_officer_period
  (cross-table: the published group arithmetic is the officers' own).

The suites exist once the dbt project defines the evaluation models, or their tables are in
the build schema: from then on a missing table blocks like any missing mart.
"""
from __future__ import annotations

import great_expectations as gx

from expectations.checks import BATCH, CRITICAL, expect, ident, lit, no_rows
from expectations.suites import BuildContext, SuiteSpec
from expectations.suites import marts_sql as q
from motcua.settings import PROJECT_ROOT
from motcua.eval_settings import SettingRow, load_rows

E = gx.expectations
OFFICER, GROUP = "eval_officer_period", "eval_group_period"
BANDS = ["excellent", "good", "pass", "fail", "pending"]
CONTRACT: dict[str, tuple[str, ...]] = {
    OFFICER: ("officer_id", "period_type", "period", "agency_code", "unit_code", "position_group", "period_start",
              "period_end", "task_points", "general_points", "unit_factor", "total_points", "band_before_quota",
              "band", "quota_demoted", "quota_tie", "rank_in_group", "pending_reasons", "scored_months"),
    GROUP: ("agency_code", "position_group", "period_type", "period", "officers", "excellent_before", "good_before",
            "pass_count", "fail_count", "pending_count", "quota_k", "excellent_after", "good_after", "demoted",
            "tied_demoted"),
}
KEYS = {OFFICER: ["officer_id", "period_type", "period"], GROUP: ["agency_code", "position_group", "period_type", "period"]}
# eval_group_period count column -> the officers it counts
GROUP_COUNTS = {
    "officers": "true",
    "excellent_before": "band_before_quota = 'excellent'", "good_before": "band_before_quota = 'good'",
    "pass_count": "band = 'pass'", "fail_count": "band = 'fail'", "pending_count": "band = 'pending'",
    "excellent_after": "band = 'excellent'", "good_after": "band = 'good'",
    "demoted": "coalesce(quota_demoted, false)", "tied_demoted": "coalesce(quota_tie, false)",
}


def defined_by_project() -> bool:
    """The dbt project builds the evaluation marts (so their absence is a failed build)."""
    models = PROJECT_ROOT / "dbt_project" / "models"
    return any(models.rglob(f"{OFFICER}.sql")) or any(models.rglob(f"{GROUP}.sql"))


def period_start_sql(alias: str) -> str:
    """The first day of a period text: '2026-03', '2026-Q1' or '2026'."""
    p = f"{alias}.period"
    return (f"(case {alias}.period_type"
            f" when 'month' then to_date({p} || '-01', 'YYYY-MM-DD')"
            f" when 'quarter' then make_date(left({p}, 4)::int, (right({p}, 1)::int - 1) * 3 + 1, 1)"
            f" when 'year' then make_date({p}::int, 1, 1) end)")


def settings_cte(rows: list[SettingRow]) -> str:
    values = ", ".join(f"({lit(r.key)}, {r.value}::numeric, {lit(r.valid_from)})" for r in rows)
    return f"settings(key, value, valid_from) as (values {values})"


# GX substitutes the batch as "(…) AS subselect", or as "(…)" in a query with a join (which must
# then alias it): a query that names its rows wraps the batch, `(select * from BATCH) as o`.


def setting(key: str, day: str) -> str:
    """The value of `key` in force on `day` (an SQL date expression)."""
    return (f"(select s.value from settings s where s.key = {lit(key)} and s.valid_from <= {day}"
            f" order by s.valid_from desc limit 1)")


def _common(name: str, relation: str, ctx: BuildContext) -> list:
    cat, present = ctx.catalog, set(ctx.catalog.names(relation))
    exps = [expect(E.ExpectTableColumnsToMatchSet, f"{name}_contract_columns", CRITICAL,
                   f"{relation} has at least the evaluation contract's columns (statements and BI read them).",
                   column_set=list(CONTRACT[name]), exact_match=False)]
    keys = KEYS[name]
    if set(keys) <= present:
        exps.append(expect(E.ExpectCompoundColumnsToBeUnique, f"{name}_key_unique", CRITICAL,
                           f"One row per ({', '.join(keys)}) in {relation}.", column_list=keys))
    text_cols = [c for c in cat.columns(relation) if c.is_text]
    if text_cols:
        exps.append(no_rows(f"{name}_no_personal_data_values", CRITICAL,
                            f"No text value in {relation} looks like an ID number (9/12 digits), a phone number or an e-mail.",
                            q.pii_values(text_cols)))
    return exps


def _officer(ctx: BuildContext, rows: list[SettingRow]) -> SuiteSpec:
    rel = f"{ctx.config.marts_schema}.{OFFICER}"
    present = set(ctx.catalog.names(rel))
    exps = _common(OFFICER, rel, ctx)
    day = f"coalesce(o.period_start, {period_start_sql('o')})"
    with_settings = f"with {settings_cte(rows)}\n"
    if "total_points" in present:
        exps.append(expect(E.ExpectColumnValuesToBeBetween, "eval_officer_period_total_in_0_100", CRITICAL,
                           "total_points is within [0, 100] (or NULL: pending).", column="total_points",
                           min_value=0, max_value=100))
    if {"task_points", "general_points", "period_type", "period"} <= present:
        exps.append(no_rows(
            "eval_officer_period_points_within_maxima", CRITICAL,
            "task_points is within [0, task_max] (70) and general_points within [0, general_max] (30), "
            "by the eval_settings.csv version in force for the period.",
            f"""{with_settings}select o.officer_id, o.period_type, o.period, o.task_points, o.general_points
  from (select * from {BATCH}) as o
 where o.task_points < 0 or o.task_points > {setting('task_max', day)}
    or o.general_points < 0 or o.general_points > {setting('general_max', day)}"""))
    for col in ("band", "band_before_quota"):
        if col in present:
            exps.append(expect(E.ExpectColumnValuesToBeInSet, f"eval_officer_period_{col}_known", CRITICAL,
                               f"{col} is one of {', '.join(BANDS)}.", column=col, value_set=BANDS))
            exps.append(expect(E.ExpectColumnValuesToNotBeNull, f"eval_officer_period_{col}_not_null", CRITICAL,
                               f"{col} is never NULL (pending says why a band is missing).", column=col))
    if {"total_points", "band_before_quota", "position_group"} <= present:
        expected = (f"case when o.total_points is null or o.position_group = 'unknown' then 'pending'"
                    f" when o.total_points >= {setting('band_excellent_min', day)} then 'excellent'"
                    f" when o.total_points >= {setting('band_good_min', day)} then 'good'"
                    f" when o.total_points >= {setting('band_pass_min', day)} then 'pass' else 'fail' end")
        exps.append(no_rows(
            "eval_officer_period_band_matches_total", CRITICAL,
            "band_before_quota is the band the total earns by the thresholds of eval_settings.csv (≥ 90, ≥ 70, "
            "≥ 50, else fail; pending when the total is NULL or the position unknown).",
            f"""{with_settings}select * from (
  select o.officer_id, o.period_type, o.period, o.total_points, o.band_before_quota, {expected} as expected_band
    from (select * from {BATCH}) as o) as b
 where b.band_before_quota is distinct from b.expected_band"""))
    if {"band", "band_before_quota", "quota_demoted", "quota_tie"} <= present:
        exps.append(no_rows(
            "eval_officer_period_band_after_quota", CRITICAL,
            "band equals band_before_quota, except an officer demoted by the quota (excellent before, good "
            "after); a tie demotion (quota_tie) is a demotion.",
            f"""select officer_id, period_type, period, band_before_quota, band, quota_demoted, quota_tie from {BATCH}
 where (coalesce(quota_demoted, false) and (band_before_quota <> 'excellent' or band <> 'good'))
    or (not coalesce(quota_demoted, false) and band is distinct from band_before_quota)
    or (coalesce(quota_tie, false) and not coalesce(quota_demoted, false))"""))
    group_rel = f"{ctx.config.marts_schema}.{GROUP}"
    quota_cols = {"agency_code", "position_group", "total_points", "band_before_quota", "quota_demoted", "quota_tie"}
    if quota_cols <= present and {"quota_k"} <= set(ctx.catalog.names(group_rel)):
        exps.append(no_rows(
            "eval_officer_period_quota_keeps_the_highest", CRITICAL,
            "Within each group and period the quota keeps the highest totals: an officer excellent before the "
            "quota stays excellent exactly when at most quota_k excellent officers have a total at or above "
            "theirs; a demoted officer with fewer than quota_k totals strictly above is a tie (quota_tie).",
            f"""select * from (
  select o.officer_id, o.agency_code, o.position_group, o.period_type, o.period, o.total_points,
         o.quota_demoted, o.quota_tie, g.quota_k,
         (select count(*) from {rel} as p
           where p.agency_code = o.agency_code and p.position_group = o.position_group
             and p.period_type = o.period_type and p.period = o.period
             and p.band_before_quota = 'excellent' and p.total_points >= o.total_points)::int as at_or_above,
         (select count(*) from {rel} as p
           where p.agency_code = o.agency_code and p.position_group = o.position_group
             and p.period_type = o.period_type and p.period = o.period
             and p.band_before_quota = 'excellent' and p.total_points > o.total_points)::int as above
    from {rel} as o
    left join {group_rel} as g
      on g.agency_code = o.agency_code and g.position_group = o.position_group
     and g.period_type = o.period_type and g.period = o.period
   where o.band_before_quota = 'excellent') as q
 where q.quota_k is null
    or coalesce(q.quota_demoted, false) is distinct from (q.at_or_above > q.quota_k)
    or coalesce(q.quota_tie, false) is distinct from (q.at_or_above > q.quota_k and q.above < q.quota_k)
 order by q.agency_code, q.position_group, q.period_type, q.period, q.total_points desc"""))
    return SuiteSpec(name=f"marts.{OFFICER}", layer="marts", requires=(rel,), table=rel, expectations=exps)


def _group(ctx: BuildContext, rows: list[SettingRow]) -> SuiteSpec:
    rel, officers = (f"{ctx.config.marts_schema}.{t}" for t in (GROUP, OFFICER))
    present = set(ctx.catalog.names(rel))
    exps = _common(GROUP, rel, ctx)
    if {"excellent_after", "quota_k"} <= present:
        exps.append(no_rows("eval_group_period_excellent_within_quota", CRITICAL,
                            "After the quota, a group keeps at most quota_k officers excellent.",
                            f"""select agency_code, position_group, period_type, period, quota_k, excellent_after
  from {BATCH} where excellent_after > quota_k"""))
    if {"quota_k", "excellent_before", "good_before"} <= present:
        ratio = setting("quota_ratio", period_start_sql("g"))
        exps.append(no_rows(
            "eval_group_period_quota_k", CRITICAL,
            "quota_k = floor(quota_ratio × (excellent_before + good_before) ÷ (1 + quota_ratio)): after the "
            "quota the excellent count is at most quota_ratio (20 %) of the good count.",
            f"""with {settings_cte(rows)}
select g.agency_code, g.position_group, g.period_type, g.period, g.excellent_before, g.good_before, g.quota_k
  from (select * from {BATCH}) as g
 where g.quota_k is distinct from floor({ratio} * (g.excellent_before + g.good_before) / (1 + {ratio}))::int"""))
    officer_cols = set(ctx.catalog.names(officers))
    counts = [c for c in GROUP_COUNTS if c in present]
    needed = {"agency_code", "position_group", "period_type", "period", "band", "band_before_quota",
              "quota_demoted", "quota_tie"}
    if counts and needed <= officer_cols:
        recount = ", ".join(f"count(*) filter (where {GROUP_COUNTS[c]})::int as {ident(c)}" for c in counts)
        differs = " or ".join(f"g.{ident(c)} is distinct from o.{ident(c)}" for c in counts)
        shown = ", ".join(f"g.{ident(c)} as {ident(c)}, o.{ident(c)} as {ident('officers_' + c)}" for c in counts)
        exps.append(no_rows(
            "eval_group_period_counts_match_officers", CRITICAL,
            f"Per (agency, position group, period), the counts of {rel} equal those recomputed from {officers} "
            "(no group without its officers, no officers without their group).",
            f"""with o as (
  select agency_code, position_group, period_type, period, {recount}
    from {officers} group by agency_code, position_group, period_type, period)
select coalesce(g.agency_code, o.agency_code) as agency_code, coalesce(g.position_group, o.position_group) as position_group,
       coalesce(g.period_type, o.period_type) as period_type, coalesce(g.period, o.period) as period, {shown}
  from {BATCH} as g
  full join o on o.agency_code = g.agency_code and o.position_group = g.position_group
             and o.period_type = g.period_type and o.period = g.period
 where {differs}"""))
    return SuiteSpec(name=f"marts.{GROUP}", layer="marts", requires=(rel, officers), table=rel, expectations=exps)


def build(ctx: BuildContext) -> list[SuiteSpec]:
    schema = ctx.config.marts_schema
    if not (defined_by_project() or any(ctx.catalog.has(f"{schema}.{t}") for t in (OFFICER, GROUP))):
        return []
    rows = load_rows()
    return [_officer(ctx, rows), _group(ctx, rows)]
