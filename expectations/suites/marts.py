"""Marts layer: the figures about to be published (per docs/contracts/warehouse.md).

The tables are read from the schema dbt built them in (config.marts_schema: MOTCUA_GX_MARTS_SCHEMA,
else MOTCUA_BUILD_SCHEMA, the publishing step's build schema, else marts_build), so the gate judges a
build before `publish` copies it into marts. Suite names stay marts.<table> whatever the schema.

Batch: each mart table whole, so the whole state about to be published
is checked, not only the day's months; reconciliation with raw uses the interval end as
the cutoff (every receipt loaded before the end of the day must be in fct_cases).
Suites are generated from the columns the table really has: the contract columns are checked
for presence, and every text column (also ones added later) for personal data.
"""
from __future__ import annotations

import re

import great_expectations as gx

from expectations.catalog import Catalog
from expectations.checks import BATCH, CRITICAL, WARNING, expect, ident, no_rows
from expectations.suites import BuildContext, SuiteSpec, fairness
from expectations.suites import marts_sql as q
from expectations.suites.staging import REJECTED_RELATION
from motcua import kpi_registry

FCT, OFFICER_MONTHLY, OFFICER_DAILY, AGENCY_MONTHLY = (
    "fct_cases", "kpi_officer_monthly", "kpi_officer_daily", "kpi_agency_monthly")

E = gx.expectations
MEASURES = (
    "cases_received", "cases_returned_first_pass", "first_pass_return_rate", "cases_completed",
    "cases_completed_on_time", "on_time_rate", "ratings_count", "avg_rating", "complaints_count",
    "complaint_rate",
)
CONTRACT: dict[str, tuple[str, ...]] = {
    FCT: ("case_id", "agency_code", "procedure_code", "channel", "receiving_officer_id",
          "handling_officer_id", "received_at", "due_at", "effective_due_at", "completed_at", "outcome",
          "status", "return_count", "first_returned_at", "timeliness", "is_overdue_open",
          "waiting_working_minutes", "rating_score", "complaint_count"),
    OFFICER_MONTHLY: ("officer_id", "agency_code", "month", *MEASURES, "working_days", "throughput_per_working_day"),
    OFFICER_DAILY: ("officer_id", "agency_code", *MEASURES),
    AGENCY_MONTHLY: ("agency_code", "month", *MEASURES),
}
DAY_COLUMNS = ("day", "date", "local_date", "activity_date", "work_date", "calendar_date")
# The KPIs and their parts come from the KPI registry (kpi_models/catalogue.yml), the source the
# marts' columns are generated from: (kpi, numerator, denominator) where both are plain columns.
_REGISTRY = kpi_registry.load()
_PLAIN = re.compile(r"^[a-z_][a-z0-9_]*$")
RATES = tuple((k["code"], k["numerator_sql"], k["denominator_sql"]) for k in _REGISTRY["kpis"]
              if _PLAIN.match(k["numerator_sql"]) and _PLAIN.match(k["denominator_sql"]))
# a rate's numerator never exceeds its denominator; a rate is a fraction in [0, 1]
BOUNDED = tuple((k["numerator_sql"], k["denominator_sql"]) for k in _REGISTRY["kpis"]
                if k["type"] == "rate" and _PLAIN.match(k["numerator_sql"]) and _PLAIN.match(k["denominator_sql"]))
FRACTIONS = tuple(k["code"] for k in _REGISTRY["kpis"] if k["type"] == "rate")
# KPIs on another scale (e.g. the 1-5 rating): registry value_range
RANGES = {k["code"]: tuple(k["value_range"]) for k in _REGISTRY["kpis"] if k.get("value_range")}
# measure columns a daily row and its monthly row both carry (the monthly row sums the daily ones)
DAY_TO_MONTH = tuple(m["column"] for m in _REGISTRY["measures"]
                     if {"officer_day", "officer_month"} <= set(m["grains"]))
# The OpenCPS counts of kpi_agency_monthly; the contract names them without fixing a prefix.
OPENCPS = {k: (f"cases_{k}", k, f"{k}_count") for k in
           ("early", "on_time", "late", "open_within_deadline", "open_overdue", "waiting_for_applicant", "withdrawn")}
NOT_ACTIVITY = {"working_days", "waiting_working_minutes"}


def _allowed_names(relation: str) -> tuple[str, ...]:
    """Contract column names are reviewed, so they pass the personal-data name check."""
    return CONTRACT[_short(relation)] + tuple(n for names in OPENCPS.values() for n in names)


def _short(relation: str) -> str:
    return relation.split(".", 1)[1]


def _rel(ctx: BuildContext, table: str) -> str:
    return f"{ctx.config.marts_schema}.{table}"


def _common(relation: str, cat: Catalog, keys: list[str]) -> list:
    """Presence of contract columns, keys, personal data: for every mart table."""
    name = _short(relation)
    cols = cat.columns(relation)
    exps = [
        expect(E.ExpectTableColumnsToMatchSet, f"{name}_contract_columns", CRITICAL,
               f"{relation} has at least the contract's columns (BI and audit queries use them).",
               column_set=list(CONTRACT[name]) + [k for k in keys if k not in CONTRACT[name]],
               exact_match=False),
        no_rows(f"{name}_no_personal_data_columns", CRITICAL,
                f"No column of {relation} is named like personal data (applicant, full_name, id_number, phone...).",
                q.pii_names(relation, _allowed_names(relation))),
    ]
    text_cols = [c for c in cols if c.is_text]
    if text_cols:
        exps.append(no_rows(
            f"{name}_no_personal_data_values", CRITICAL,
            f"No text value in {relation} looks like an ID number (9/12 digits), a phone number or an e-mail.",
            q.pii_values(text_cols)))
    present = set(cat.names(relation))
    for k in keys:
        if k in present:
            exps.append(expect(E.ExpectColumnValuesToNotBeNull, f"{name}_{k}_not_null", CRITICAL,
                               f"{relation}.{k} is never NULL.", column=k))
    if len(keys) == 1 and keys[0] in present:
        exps.append(no_rows(f"{name}_key_unique", CRITICAL, f"One row per {keys[0]} in {relation}.",
                            q.duplicate_keys(keys[0])))
    elif all(k in present for k in keys):
        exps.append(expect(E.ExpectCompoundColumnsToBeUnique, f"{name}_key_unique", CRITICAL,
                           f"One row per ({', '.join(keys)}) in {relation}.", column_list=keys))
    return exps


def _kpi_measures(relation: str, cat: Catalog, keys: list[str], tol: float) -> list:
    name, present = _short(relation), set(cat.names(relation))
    exps = []
    for c in cat.columns(relation):
        if c.name in FRACTIONS and c.is_numeric:
            exps.append(expect(E.ExpectColumnValuesToBeBetween, f"{name}_{c.name}_in_0_1", CRITICAL,
                               f"{c.name} is a fraction in [0, 1] (or NULL).", column=c.name, min_value=0, max_value=1))
    exps += _non_negative(relation, [c.name for c in cat.columns(relation) if c.is_integer])
    for kpi, (low, high) in RANGES.items():
        if kpi in present:
            exps.append(expect(E.ExpectColumnValuesToBeBetween, f"{name}_{kpi}_in_{low}_{high}", CRITICAL,
                               f"{kpi} is on the {low}-{high} scale (or NULL).", column=kpi, min_value=low, max_value=high))
    for num, den in BOUNDED:
        if {num, den} <= present:
            exps.append(expect(E.ExpectColumnPairValuesAToBeGreaterThanB, f"{name}_{num}_le_{den}", CRITICAL,
                               f"{num} never exceeds {den}.", column_A=den, column_B=num, or_equal=True))
    for rate, num, den in RATES:
        if {rate, num, den} <= present:
            exps.append(no_rows(f"{name}_{rate}_is_{num}_over_{den}", CRITICAL,
                                f"{rate} = {num} / {den}, NULL exactly when {den} is 0.",
                                q.rate_consistency(rate, num, den, tol, keys)))
    return exps


def _activity(relation: str, cat: Catalog, keys: list[str], period: str, monthly: bool, actor: str, tz: str):
    counts = [c.name for c in cat.columns(relation) if c.is_integer and c.name not in NOT_ACTIVITY]
    if not set(keys) <= set(cat.names(relation)):
        return []
    return [no_rows(f"{_short(relation)}_rows_have_activity", WARNING,
                    f"Every row of {relation} has activity: a non-zero count or a raw event of its {actor} in the period.",
                    q.no_activity(relation, keys, period, monthly, counts, actor, tz))]


def _fct(ctx: BuildContext) -> SuiteSpec:
    fct = _rel(ctx, FCT)
    cat, present = ctx.catalog, set(ctx.catalog.names(fct))
    exps = _common(fct, cat, ["case_id"])
    sets = {"status": ["open", "completed", "withdrawn"], "outcome": ["approved", "refused"],
            "timeliness": ["early", "on_time", "late"], "channel": ["in_person", "online", "postal"]}
    for col, values in sets.items():
        if col in present:
            exps.append(expect(E.ExpectColumnValuesToBeInSet, f"fct_cases_{col}_known", CRITICAL,
                               f"{col} is one of {', '.join(values)} (or NULL).", column=col, value_set=values))
    exps += _non_negative(fct, [c.name for c in cat.columns(fct) if c.is_numeric and c.name != "rating_score"])
    if "rating_score" in present:
        exps.append(expect(E.ExpectColumnValuesToBeBetween, "fct_cases_rating_score_in_1_5", CRITICAL,
                           "rating_score is on the 1-5 scale (or NULL).", column="rating_score", min_value=1, max_value=5))
    if {"status", "completed_at", "timeliness", "due_at"} <= present:
        exps.append(no_rows("fct_cases_status_consistent", CRITICAL,
                            "completed_at is set exactly for completed cases; timeliness only for completed "
                            "cases, and for every completed case that has a deadline.",
                            f"""select case_id, status, completed_at, timeliness from {BATCH}
 where (status = 'completed') <> (completed_at is not null)
    or (timeliness is not null and status <> 'completed')
    or (status = 'completed' and timeliness is null and due_at is not null)"""))
    if {"completed_at", "received_at"} <= present:
        exps.append(expect(E.ExpectColumnPairValuesAToBeGreaterThanB, "fct_cases_completed_not_before_received", WARNING,
                           "No published case was completed before it was received.",
                           column_A="completed_at", column_B="received_at", or_equal=True,
                           ignore_row_if="either_value_is_missing"))
    if "received_at" in present:
        exps.append(no_rows("fct_cases_reconciles_with_raw", CRITICAL,
                            "Case by case: every raw receipt loaded before the end of the interval is in fct_cases "
                            "with its first receipt time, and no received case in fct_cases lacks a raw receipt.",
                            q.fct_vs_raw_receipts(fct, ctx.interval.sql_end(),
                                                  REJECTED_RELATION if cat.has(REJECTED_RELATION) else None)))
    return SuiteSpec(name=f"marts.{FCT}", layer="marts", requires=(fct, "raw.case_events"), table=fct,
                     expectations=exps)


def _with_agency(relation: str, cat: Catalog, keys: list[str]) -> list[str]:
    """An officer's row is per agency when the table has agency_code: the same officer code may
    act in two agencies (a transfer, or two agencies numbering their staff alike)."""
    return [keys[0], "agency_code", *keys[1:]] if "agency_code" in cat.names(relation) else keys


def _officer_monthly(ctx: BuildContext) -> SuiteSpec:
    cat, keys = ctx.catalog, ["officer_id", "month"]
    om, am = _rel(ctx, OFFICER_MONTHLY), _rel(ctx, AGENCY_MONTHLY)
    row_keys = _with_agency(om, cat, keys)
    exps = _common(om, cat, row_keys) + _kpi_measures(om, cat, row_keys, ctx.config.rate_tolerance)
    exps += _first_of_month(om, cat)
    exps += _activity(om, cat, keys, "month", True, "officer_id", ctx.config.timezone)
    measures = [m for m in ("cases_received", "cases_completed") if m in cat.names(om) and m in cat.names(am)]
    fct = _rel(ctx, FCT)
    attribution = {"received_date", "completed_date", "status", "receiving_officer_id", "handling_officer_id"}
    if set(measures) == {"cases_received", "cases_completed"} and attribution <= set(cat.names(fct)):
        # Cases whose receipt or result names no officer count for the agency only (unattributed).
        officers = f"""(select month, cases_received, cases_completed from {om}
   union all
  select date_trunc('month', received_date)::date, 1, 0 from {fct} where receiving_officer_id is null
   union all
  select date_trunc('month', completed_date)::date, 0, 1 from {fct}
   where status = 'completed' and handling_officer_id is null) as officers_and_unattributed"""
        exps.append(no_rows("kpi_officer_monthly_totals_match_agency", CRITICAL,
                            "Per month, the officers' received and completed cases, plus the unattributed ones, "
                            "add up to the agencies'.",
                            q.totals_match(officers, "month", am, "month", ["month"], measures)))
    elif measures:
        exps.append(no_rows("kpi_officer_monthly_totals_match_agency", CRITICAL,
                            "Per month, the officers' received and completed cases add up to the agencies'.",
                            q.totals_match(om, "month", am, "month", ["month"], measures)))
    return SuiteSpec(name=f"marts.{OFFICER_MONTHLY}", layer="marts", requires=(om,), table=om, expectations=exps)


def _officer_daily(ctx: BuildContext) -> SuiteSpec:
    cat = ctx.catalog
    od, om = _rel(ctx, OFFICER_DAILY), _rel(ctx, OFFICER_MONTHLY)
    day = cat.first_present(od, DAY_COLUMNS) or "day"
    keys = ["officer_id", day]
    row_keys = _with_agency(od, cat, keys)
    exps = _common(od, cat, row_keys) + _kpi_measures(od, cat, row_keys, ctx.config.rate_tolerance)
    exps += _activity(od, cat, keys, day, False, "officer_id", ctx.config.timezone)
    both = set(cat.names(od)) & set(cat.names(om))
    measures = [m for m in DAY_TO_MONTH if m in both]
    if measures and day in cat.names(od):
        exps.append(no_rows("kpi_officer_daily_sums_to_monthly", CRITICAL,
                            "Per officer and month, the daily rows add up to the monthly row.",
                            q.totals_match(od, f"officer_id, date_trunc('month', {ident(day)})::date as month",
                                           om, "officer_id, month", ["officer_id", "month"], measures)))
    return SuiteSpec(name=f"marts.{OFFICER_DAILY}", layer="marts", requires=(od,), table=od, expectations=exps)


def _agency_monthly(ctx: BuildContext) -> SuiteSpec:
    am, fct = _rel(ctx, AGENCY_MONTHLY), _rel(ctx, FCT)
    cat, keys, present = ctx.catalog, ["agency_code", "month"], set(ctx.catalog.names(am))
    exps = _common(am, cat, keys) + _kpi_measures(am, cat, keys, ctx.config.rate_tolerance)
    exps += _first_of_month(am, cat)
    exps += _activity(am, cat, keys, "month", True, "agency_code", ctx.config.timezone)
    opencps = {k: cat.first_present(am, names) for k, names in OPENCPS.items()}
    early, on_time, late = opencps["early"], opencps["on_time"], opencps["late"]
    if early and on_time and late and "cases_completed" in present:
        e, o, l_ = ident(early), ident(on_time), ident(late)
        on_time_check = (f" or {ident('cases_completed_on_time')} <> {e} + {o}"
                         if "cases_completed_on_time" in present else "")
        exps.append(no_rows("kpi_agency_monthly_timeliness_adds_up", CRITICAL,
                            "early + on_time + late = cases_completed, and early + on_time = cases_completed_on_time.",
                            f"""select agency_code, month from {BATCH}
 where {e} + {o} + {l_} <> cases_completed{on_time_check}"""))
    if {"cases_received", "cases_completed"} <= present and cat.has(fct):
        exps.append(no_rows("kpi_agency_monthly_reconciles_with_fct_cases", CRITICAL,
                            "Per agency and month, received and completed counts equal those of fct_cases.",
                            q.agency_vs_fct(fct, am, ctx.config.timezone, "cases_received", "cases_completed",
                                            "completing_agency_code" in cat.names(fct))))
    return SuiteSpec(name=f"marts.{AGENCY_MONTHLY}", layer="marts", requires=(am,), table=am, expectations=exps)


def _non_negative(relation: str, columns: list[str]) -> list:
    # One SQL scan for all count columns instead of one GX expectation each (GX's per-expectation
    # overhead, not the database, dominates the run time).
    if not columns:
        return []
    return [no_rows(f"{_short(relation)}_counts_non_negative", CRITICAL,
                    f"No count in {relation} is negative ({', '.join(columns)}).", q.negative_counts(columns))]


def _first_of_month(relation: str, cat: Catalog) -> list:
    if "month" not in cat.names(relation):
        return []
    return [no_rows(f"{_short(relation)}_month_is_first_day", CRITICAL,
                    "month is the first day of a month (local calendar).",
                    f"select month from {BATCH} where month <> date_trunc('month', month)::date")]


def build(ctx: BuildContext) -> list[SuiteSpec]:
    from expectations.suites import due_soon

    return [_fct(ctx), _officer_monthly(ctx), _officer_daily(ctx), _agency_monthly(ctx), *fairness.build(ctx),
            *due_soon.build(ctx)]
