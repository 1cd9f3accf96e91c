"""The evaluation's inputs from the staff topic (positions, assessments, exemptions).

Source data and cross-layer checks only: the staff models' own rules (keys, accepted values,
valid_to > valid_from) are dbt tests (dbt_project/models/staging/staff/, dim_officer_positions.yml).

- staging (suite `staging.staff_assessments`): the officer.assessed versions *arriving* on the
  day that method v1 cannot use (an unknown or missing criterion, points above a criterion's
  maximum). Staging already leaves them out (unusable_reason); this makes the gate report them.
  A warning: the method keeps scoring without them (the period falls back to a quarterly
  assessment or becomes pending), and like the raw layer each event is judged on the day it
  arrives, so one bad assessment is reported once, not every night after.
- marts (suite `marts.eval_inputs`, on dim_officer_positions):
  - no two positions of one officer overlap (critical: the officer would be evaluated in two
    groups and counted twice in the quota);
  - no assessment version that staging marks unusable is used by the published evaluation
    (critical: points of a rejected assessment would reach a verdict);
  - exemptions naming a case fct_cases does not hold (warning: the case may arrive later);
  - officers with activity in an evaluated month and no position covering it (warning: they are
    evaluated as position group unknown, pending, until the personnel system sends the position).
"""
from __future__ import annotations

from expectations.checks import BATCH, CRITICAL, WARNING, lit, no_rows
from expectations.suites import BuildContext, SuiteSpec
from motcua.eval_settings import load_rows

ASSESSMENTS = "staging.stg_staff__assessments"
EXEMPTIONS = "staging.stg_staff__exemptions"
POSITIONS, MEMBERSHIP = "dim_officer_positions", "eval_assessment_membership"


def first_evaluated_month() -> str:
    """The first month the evaluation covers: the first date eval_settings.csv is valid from."""
    return min(r.valid_from for r in load_rows()).isoformat()


def _assessments(ctx: BuildContext) -> list[SuiteSpec]:
    if not ctx.catalog.has(ASSESSMENTS):
        return []
    s, e = ctx.interval.sql_start(), ctx.interval.sql_end()
    # raw gives the day's arrivals (ingested_at); staging gives the verdict on each version
    query = f"""select a.event_id, a.officer_id, a.agency_code, a.period, a.assessor_role, a.is_latest,
       a.is_usable, a.unusable_reason, r.kafka_topic, r.kafka_partition, r.kafka_offset
  from {ASSESSMENTS} a
  join raw.staff_events r on r.event_id = a.event_id
 where r.ingested_at >= {s} and r.ingested_at < {e}"""
    check = no_rows(
        "staff_assessments_usable", WARNING,
        "Every officer.assessed version that arrived today is usable by method v1: exactly the criteria of the "
        "catalogue in force (eval_criteria.csv), each within its maximum. Those listed are not used (never "
        "clipped), with the reason and their Kafka position, for follow-up with the assessor.",
        f"""select unusable_reason, event_id, officer_id, agency_code, period, assessor_role, is_latest,
       kafka_topic, kafka_partition, kafka_offset
  from {BATCH}
 where not is_usable
 order by unusable_reason, officer_id, period, event_id""")
    return [SuiteSpec(name="staging.staff_assessments", layer="staging", requires=(ASSESSMENTS, "raw.staff_events"),
                      query=query, expectations=[check])]


def _inputs(ctx: BuildContext) -> list[SuiteSpec]:
    schema = ctx.config.marts_schema
    dim = f"{schema}.{POSITIONS}"
    if not ctx.catalog.has(dim):
        return []
    fct, monthly, membership = (f"{schema}.{t}" for t in ("fct_cases", "kpi_officer_monthly", MEMBERSHIP))
    exps = [no_rows(
        "dim_officer_positions_no_overlap", CRITICAL,
        "No two job positions of one officer overlap in time ([valid_from, valid_to), NULL = current): an "
        "officer is evaluated in one position group per period.",
        f"""select a.officer_id, a.agency_code, a.position_group, a.valid_from, a.valid_to,
       b.agency_code as other_agency_code, b.position_group as other_position_group,
       b.valid_from as other_valid_from, b.valid_to as other_valid_to
  from {dim} a
  join {dim} b
    on b.officer_id = a.officer_id
   and (b.valid_from > a.valid_from or (b.valid_from = a.valid_from and b.ctid > a.ctid))
   and (a.valid_to is null or b.valid_from < a.valid_to)
 order by a.officer_id, a.valid_from, b.valid_from""")]
    monthly_cols = set(ctx.catalog.names(monthly))
    if {"officer_id", "month"} <= monthly_cols:
        # activity: the month's row counts cases (membership_rows, the rows of kpi_case_membership)
        active = " and m.membership_rows > 0" if "membership_rows" in monthly_cols else ""
        exps.append(no_rows(
            "officers_with_activity_have_position", WARNING,
            "Every officer with cases in an evaluated month holds a position in it (officer.positioned). Those "
            "listed are evaluated as position group unknown, pending, until the personnel system sends it.",
            f"""select m.officer_id, m.agency_code, m.month
  from {monthly} m
 where m.officer_id is not null and m.month >= date {lit(first_evaluated_month())}{active}
   and not exists (select from {dim} p
                    where p.officer_id = m.officer_id
                      and p.valid_from < (m.month + interval '1 month')::date
                      and (p.valid_to is null or p.valid_to > m.month))
 order by m.officer_id, m.month, m.agency_code"""))
    if ctx.catalog.has(EXEMPTIONS) and ctx.catalog.has(fct):
        exps.append(no_rows(
            "exemptions_name_known_cases", WARNING,
            "Every exemption (case.exemption_granted / _revoked) names a case in fct_cases. Those listed have no "
            "case events yet (they may arrive later: the exemption then applies by itself).",
            f"""select x.case_id, x.scope, x.agency_code, count(*)::int as exemption_events,
       bool_or(x.action = 'granted') as any_grant
  from {EXEMPTIONS} x
 where not exists (select from {fct} f where f.case_id = x.case_id)
 group by x.case_id, x.scope, x.agency_code
 order by x.case_id, x.scope"""))
    if ctx.catalog.has(ASSESSMENTS) and ctx.catalog.has(membership):
        exps.append(no_rows(
            "eval_unusable_assessments_not_used", CRITICAL,
            "No assessment version that staging marks unusable (unknown or missing criterion, points above the "
            "maximum) gives points in the published evaluation (eval_assessment_membership.used).",
            f"""select m.officer_id, m.period_type, m.period, m.event_id, m.assessor_role, a.unusable_reason
  from {membership} m
  join {ASSESSMENTS} a on a.event_id = m.event_id
 where m.used and not a.is_usable
 order by m.officer_id, m.period_type, m.period"""))
    requires = tuple(r for r in (dim, fct, monthly, membership) if ctx.catalog.has(r))
    return [SuiteSpec(name="marts.eval_inputs", layer="marts", requires=requires, table=dim, expectations=exps)]


def build_staging(ctx: BuildContext) -> list[SuiteSpec]:
    return _assessments(ctx)


def build_marts(ctx: BuildContext) -> list[SuiteSpec]:
    return _inputs(ctx)
