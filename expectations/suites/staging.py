"""Staging layer: the typed events dbt reads (staging.stg_case_events).

Batch: every event of the cases touched on the day, i.e. with an event ingested in the interval
(a case's order can only be judged with all of its events; a late arrival re-judges its case). Two suites: the events themselves, and one row per case with its milestones.
"""
from __future__ import annotations

import great_expectations as gx

from expectations.checks import BATCH, CRITICAL, WARNING, expect, no_rows
from expectations.suites import BuildContext, SuiteSpec

# The contract name, then the dbt project's model name (dbt_project/models/staging/motcua/).
STAGING_RELATIONS = ("staging.stg_case_events", "staging.stg_motcua__case_events")
# Loaded events staging leaves out of the figures, each with its reason (the follow-up list).
REJECTED_RELATION = "staging.stg_motcua__rejected_events"


def staging_relation(ctx: BuildContext) -> str:
    return next((r for r in STAGING_RELATIONS if ctx.catalog.has(r)), STAGING_RELATIONS[0])


def touched_cases(ctx: BuildContext) -> str:
    # From raw, not staging: the dbt staging view deduplicates with a window partitioned by
    # case_id, so a filter on ingested_at cannot go below it (it would rank all of raw), while
    # a filter on case_id can.
    s, e = ctx.interval.sql_start(), ctx.interval.sql_end()
    return f"""select distinct case_id from raw.case_events where ingested_at >= {s} and ingested_at < {e}"""


# `case_id = any(array(...))`: the touched cases are computed once (an InitPlan), then fetched
# through the case_id index. With `case_id in (select ...)` the planner misjudged the fan-out
# and read all of raw (120 s at a million cases instead of under a second).
def events_query(ctx: BuildContext) -> str:
    return f"""select event_id, event_type, case_id, agency_code, officer_id, occurred_at, ingested_at
  from {staging_relation(ctx)}
 where case_id = any(array({touched_cases(ctx)}))"""


def lifecycle_query(ctx: BuildContext) -> str:
    return f"""select case_id, min(agency_code) as agency_code,
       min(occurred_at) filter (where event_type = 'case.received') as received_at,
       min(occurred_at) filter (where event_type = 'case.completed') as completed_at,
       min(occurred_at) filter (where event_type = 'case.delivered') as delivered_at
  from {staging_relation(ctx)}
 where case_id = any(array({touched_cases(ctx)}))
 group by case_id"""


def _rejected(ctx: BuildContext) -> list:
    """The rejected events of the cases touched today: listed (a warning), and not missing."""
    if not ctx.catalog.has(REJECTED_RELATION):
        return []
    return [no_rows("staging_rejected_events", WARNING,
                    "No event of the cases touched today was left out of the figures; those found were "
                    f"(reason per event; the full list is {REJECTED_RELATION}), for follow-up with the source.",
                    f"""select rejection_reason, event_id, case_id, agency_code, event_type, occurred_at,
       kafka_topic, kafka_partition, kafka_offset
  from {REJECTED_RELATION}
 where case_id = any(array({touched_cases(ctx)}))
 order by rejection_reason, case_id, event_id
 limit 200""")]


def build(ctx: BuildContext) -> list[SuiteSpec]:
    E = gx.expectations
    share = ctx.config.lifecycle_critical_share
    stg = staging_relation(ctx)
    rejected = (f"\n   and e.event_id not in (select event_id from {REJECTED_RELATION})"
                if ctx.catalog.has(REJECTED_RELATION) else "")
    # The staging model's own rules (event_id unique, identifiers not null, known event types)
    # are dbt tests (stg_motcua__case_events.yml): a failure stops `dbt build` before this gate.
    # Here: reconciliation with raw and the source's data (attribution, event order).
    events = [
        no_rows("staging_complete_vs_raw", CRITICAL,
                "Every raw event of the cases touched today reached staging or is listed as rejected.",
                f"""select e.event_id, e.case_id, e.event_type
  from raw.case_events e
 where e.case_id = any(array({touched_cases(ctx)}))
   and e.event_id not in (select event_id from {BATCH}){rejected}
 limit 200"""),
        # A receipt or a result without an officer counts for the agency and for no officer.
        no_rows("staging_events_attributed", WARNING,
                "Every receipt, return and result names its officer; those listed count for their agency "
                "only (unattributed), for follow-up with the source.",
                f"""select event_id, case_id, agency_code, event_type, occurred_at from {BATCH}
 where officer_id is null and event_type in ('case.received', 'case.returned', 'case.completed')
 order by case_id, occurred_at
 limit 200"""),
        *_rejected(ctx),
    ]
    lifecycle = [
        expect(E.ExpectColumnPairValuesAToBeGreaterThanB, "staging_completed_not_before_received", CRITICAL,
               f"At most {share:.1%} of the cases touched today were completed before they were received.",
               column_A="completed_at", column_B="received_at", or_equal=True,
               ignore_row_if="either_value_is_missing", mostly=1 - share),
        expect(E.ExpectColumnPairValuesAToBeGreaterThanB, "staging_completed_not_before_received_any", WARNING,
               "No case touched today was completed before it was received.",
               column_A="completed_at", column_B="received_at", or_equal=True,
               ignore_row_if="either_value_is_missing"),
        expect(E.ExpectColumnPairValuesAToBeGreaterThanB, "staging_delivered_not_before_completed", WARNING,
               "No result was delivered before the case was completed.",
               column_A="delivered_at", column_B="completed_at", or_equal=True,
               ignore_row_if="either_value_is_missing"),
        no_rows("staging_completed_case_has_receipt", WARNING,
                "Every completed case has a receipt; the others are orphaned (a lost or late case.received).",
                f"""select case_id, agency_code, completed_at from {BATCH}
 where completed_at is not null and received_at is null
 order by case_id"""),
    ]
    return [
        SuiteSpec(name="staging.stg_case_events", layer="staging", requires=(stg, "raw.case_events"),
                  query=events_query(ctx), expectations=events),
        SuiteSpec(name="staging.case_lifecycle", layer="staging", requires=(stg, "raw.case_events"),
                  query=lifecycle_query(ctx), expectations=lifecycle),
    ]
