{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- The agency-months fairness_officer_monthly recomputes on an incremental run (every row of them:
    a group's medians, an agency's per-procedure on-time rates and the percentile ranks move with
    every officer of the agency-month, so no row can be recomputed alone):
    - every agency and month of an event of this run's cases (int_case_flag_events holds all their
      events): each of a case's rows (a flag, its completion, its receipt) is attributed to the
      agency and month of one of its events, before this run and after it (events only accumulate);
    - the agency-months of their receipts and completions as they stand now (int_case_sla);
    - agency-months where an officer's position group (staff topic) is not the one the row was
      built with, or built with another history start (int_history_coverage);
    - every agency-month when the thresholds or complexity weights differ from those of the last
      build (the fingerprint fairness_officer_monthly records in its post-hook), or there is no
      such record yet.
    Empty on a full build (fairness_officer_monthly then rebuilds everything). -#}
-- depends_on: {{ ref('int_cases_affected') }}
-- depends_on: {{ ref('int_case_flag_events') }}
-- depends_on: {{ ref('int_case_sla') }}
-- depends_on: {{ ref('int_officer_period_positions') }}
-- depends_on: {{ ref('int_history_coverage') }}
-- depends_on: {{ ref('fairness_thresholds') }}
-- depends_on: {{ ref('procedure_complexity') }}
{%- set built = built_relation('fairness_officer_monthly') %}
{%- set recorded = existing_relation(build_schema(), 'fairness_config_fingerprint') %}

{% if incremental_scope_active() and built is not none -%}
with

config_changed as (

    select {{ fairness_config_fingerprint() }} is distinct from
        {%- if recorded is not none %}
        (select fingerprint from {{ recorded }} order by recorded_id desc limit 1)
        {%- else %}
        null
        {%- endif %} as changed

),

affected as (

    select cases.agency_code, cases.completing_agency_code,
           {{ local_date('cases.received_at') }} as received_date, {{ local_date('cases.completed_at') }} as completed_date
    from {{ ref('int_case_sla') }} as cases
    where cases.case_id in (select case_id from {{ ref('int_cases_affected') }})

),

touched as (

    select agency_code, date_trunc('month', event_date)::date as month
    from {{ ref('int_case_flag_events') }}
    union
    select agency_code, date_trunc('month', received_date)::date from affected
    union
    select completing_agency_code, date_trunc('month', completed_date)::date from affected
    where completed_date is not null
    union
    select built.agency_code, built.month
    from {{ built }} as built
    left join {{ ref('int_officer_period_positions') }} as positions
        on positions.officer_id = built.officer_id
        and positions.period_type = 'month'
        and positions.period_start = built.month
    where built.position_group <> coalesce(positions.position_group, 'unknown')
       or built.covered_from is distinct from
              greatest(built.month, (select covered_from from {{ ref('int_history_coverage') }}))
       or (select changed from config_changed)

)

select agency_code, month
from touched
where agency_code is not null and month is not null
{%- else -%}
select null::text as agency_code, null::date as month
where false
{%- endif %}
