"""Raw layer: what the source system sent on the day.

Batch: raw.case_events ingested in the interval (the day's arrivals, whatever date they carry;
a late event is judged on the day it arrives, so every event is judged exactly once). Volume
per agency counts arrivals too: a feed that stops sends nothing, whatever the business dates.
Both use the ingested_at index; raw has no index on occurred_at.
"""
from __future__ import annotations

import great_expectations as gx

from expectations.checks import BATCH, CRITICAL, WARNING, expect, lit, lit_array, no_rows
from expectations.config import EVENT_TYPES, SCHEMA_VERSIONS
from expectations.interval import DataInterval
from expectations.suites import BuildContext, SuiteSpec


def interval_events_query(ctx: BuildContext) -> str:
    s, e = ctx.interval.sql_start(), ctx.interval.sql_end()
    # No payload column: it holds applicants' personal data and GX samples values into Data Docs.
    return f"""select event_id, event_type, schema_version, case_id, agency_code, officer_id,
       occurred_at, ingested_at,
       extract(epoch from occurred_at - ingested_at)::double precision as seconds_ahead_of_ingest
  from raw.case_events
 where ingested_at >= {s} and ingested_at < {e}"""


def _volume_sql(ctx: BuildContext, condition: str) -> str:
    cfg, iv, ref = ctx.config, ctx.interval, ctx.volume
    tz = lit(cfg.timezone)
    days = ref.days or (iv.day,)   # no comparable day: the grid is empty and nothing is judged
    hist_start = f"({lit(min(days))}::timestamp at time zone {tz})"
    hist_end = f"(({lit(max(days))} + 1)::timestamp at time zone {tz})"
    if not ref.days:
        hist_end = hist_start
    closed = lit_array(ref.closed_agencies, "text") if ref.closed_agencies else "array[]::text[]"
    return f"""with ref_days(d) as (select unnest({lit_array(days, 'date')})),
hist as (
  select agency_code, (ingested_at at time zone {tz})::date as d, count(*) as n
    from raw.case_events
   where ingested_at >= {hist_start} and ingested_at < {hist_end}
   group by 1, 2),
agencies as (select distinct agency_code from hist where d in (select d from ref_days)),
grid as (
  select a.agency_code, r.d, coalesce(h.n, 0) as n
    from agencies a cross join ref_days r
    left join hist h on h.agency_code = a.agency_code and h.d = r.d),
med as (
  select agency_code, percentile_cont(0.5) within group (order by n) as median,
         count(*) filter (where n > 0) as active_days
    from grid group by agency_code),
mad as (
  select g.agency_code, percentile_cont(0.5) within group (order by abs(g.n - m.median)) as mad
    from grid g join med m using (agency_code) group by g.agency_code),
today as (
  select agency_code, count(*) as n from raw.case_events
   where ingested_at >= {iv.sql_start()} and ingested_at < {iv.sql_end()}
   group by agency_code),
judged as (
  select m.agency_code, coalesce(t.n, 0) as events_on_day, m.median as reference_median,
         greatest({cfg.volume_mad_k} * 1.4826 * d.mad, {cfg.volume_min_band_fraction} * m.median) as band_halfwidth,
         m.active_days as reference_days_with_events
    from med m join mad d using (agency_code) left join today t using (agency_code)
   where m.active_days >= {cfg.volume_min_history_days} and m.median >= {cfg.volume_min_median}
     and m.agency_code <> all({closed}))
select agency_code, events_on_day, reference_median, round(band_halfwidth::numeric, 1) as band_halfwidth,
       reference_days_with_events
  from judged where {condition}
 order by agency_code"""


def _quarantine_sql(ctx: BuildContext, share: float) -> str:
    s, e = ctx.interval.sql_start(), ctx.interval.sql_end()
    return f"""with q as (select count(*) as n from raw.quarantine where quarantined_at >= {s} and quarantined_at < {e}),
-- both topics' loaded events: the quarantine holds both topics' rejects
l as (select (select count(*) from raw.case_events where ingested_at >= {s} and ingested_at < {e})
           + (select count(*) from raw.staff_events where ingested_at >= {s} and ingested_at < {e}) as n),
r as (select count(*) as n from raw.redeliveries where ingested_at >= {s} and ingested_at < {e})
select q.n as quarantined, q.n + l.n + r.n as consumed,
       round(q.n::numeric / (q.n + l.n + r.n), 4) as quarantine_share, {share} as threshold
  from q, l, r
 where q.n > 0 and q.n > {share} * (q.n + l.n + r.n)"""


def _per_event(kind, name: str, share: float, what: str, **kwargs) -> list:
    """A per-event rule as two expectations: any offending event warns (and is listed), a share
    above `share` of the day's events blocks."""
    return [
        expect(kind, name, CRITICAL, f"At most {share:.0%} of today's events break the rule: every {what}.",
               mostly=1 - share, **kwargs),
        expect(kind, f"{name}_any", WARNING, f"Every {what}; staging leaves out and lists those that do not.",
               **kwargs),
    ]


def build(ctx: BuildContext) -> list[SuiteSpec]:
    cfg = ctx.config
    E = gx.expectations
    share = cfg.per_event_critical_share
    system_start = DataInterval.for_day(cfg.system_start, cfg.timezone).start
    exps = [
        # Per-event defects (one bad event) are warnings: the loader quarantines what it can see
        # and staging leaves out and lists the rest (stg_motcua__rejected_events). Only a share
        # above per_event_critical_share (a broken source clock or producer, not one event)
        # blocks the night for every agency.
        *_per_event(E.ExpectColumnValuesToBeInSet, "raw_event_type_known", share,
                    "event type is one of the contract's ten (schema version 1)",
                    column="event_type", value_set=list(EVENT_TYPES)),
        *_per_event(E.ExpectColumnValuesToBeInSet, "raw_schema_version_known", share,
                    "event has a schema version the pipeline understands",
                    column="schema_version", value_set=list(SCHEMA_VERSIONS)),
        *_per_event(E.ExpectColumnValuesToBeBetween, "raw_occurred_at_not_in_future", share,
                    f"event occurred no later than it was loaded (tolerance {cfg.future_tolerance_s} s of clock skew)",
                    column="seconds_ahead_of_ingest", max_value=cfg.future_tolerance_s),
        *_per_event(E.ExpectColumnValuesToBeBetween, "raw_occurred_at_after_system_start", share,
                    f"event occurred after the system existed ({cfg.system_start})",
                    column="occurred_at", min_value=system_start),
        expect(E.ExpectColumnValuesToNotBeNull, "raw_case_id_present", CRITICAL,
               "Every event names its case.", column="case_id"),
        no_rows("raw_case_events_plausible", WARNING,
                f"Cases touched today have at most {cfg.max_events_per_case} events spanning at most "
                f"{cfg.max_case_span_days} days.",
                f"""select case_id, count(*) as events,
       round((extract(epoch from max(occurred_at) - min(occurred_at)) / 86400)::numeric, 1) as span_days
  from raw.case_events
 where case_id = any(array(select distinct case_id from {BATCH}))
 group by case_id
having count(*) > {cfg.max_events_per_case}
    or max(occurred_at) - min(occurred_at) > interval '{cfg.max_case_span_days} days'
 order by events desc"""),
        no_rows("raw_agency_feed_not_stopped", CRITICAL,
                "No agency with steady volume on comparable days sent zero events today (a broken feed, "
                "not a quiet day).",
                _volume_sql(ctx, "events_on_day = 0")),
        no_rows("raw_agency_volume_within_band", WARNING,
                f"Each agency's events today lie within median ± max({cfg.volume_mad_k}·1.4826·MAD, "
                f"{cfg.volume_min_band_fraction}·median) of up to {cfg.volume_lookback_days} days of the same kind.",
                _volume_sql(ctx, "events_on_day > 0 and abs(events_on_day - reference_median) > band_halfwidth")),
        no_rows("raw_quarantine_share_critical", CRITICAL,
                f"At most {cfg.quarantine_critical_share:.1%} of the messages consumed today were quarantined.",
                _quarantine_sql(ctx, cfg.quarantine_critical_share)),
        no_rows("raw_quarantine_share_warning", WARNING,
                f"At most {cfg.quarantine_warning_share:.1%} of the messages consumed today were quarantined.",
                _quarantine_sql(ctx, cfg.quarantine_warning_share)),
    ]
    return [SuiteSpec(
        name="raw.case_events", layer="raw",
        requires=("raw.case_events", "raw.staff_events", "raw.quarantine", "raw.redeliveries"),
        query=interval_events_query(ctx), expectations=exps,
    )]
