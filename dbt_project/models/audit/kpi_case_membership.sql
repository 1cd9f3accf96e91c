{{ config(
    post_hook=['{{ analyze_if_new() }}'],
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='case_id',
    on_schema_change='fail',
    indexes=[
        {'columns': ['case_id']},
        {'columns': ['officer_id', 'agency_code', 'activity_date']},
        {'columns': ['agency_code', 'month']},
    ],
) }}
{#- Which case counts where: one row per (case, measure, date). Every KPI row in the marts is
    an aggregate of these rows, so an auditor goes from a KPI row to its cases (and from a case
    to its raw events with lineage.case_event_lineage). Attribution (docs/domain/sla-clock.md):
    - received, returned_first_pass: the receiving officer, receipt agency, receipt date
      (first-pass returns are blamed on the desk check);
    - completed*, refused, completed_with_complaint, processing_working_days: the completing officer and agency, completion date;
    - rating*, complaint: the handling officer (completing, else last assignee, else receiving), rating/complaint date;
    - withdrawn, open_* and waiting_for_applicant: agency-level only (officer_id NULL). -#}
-- depends_on: {{ ref('int_kpi_keys_previous') }}
-- depends_on: {{ ref('int_cases_affected') }}

with

cases as (

    select * from {{ ref('fct_cases') }}
    {%- if is_incremental() %}
    where case_id in (select case_id from {{ ref('int_cases_affected') }})
    {%- endif %}

),

snapshots as (

    -- scoped like int_case_events_scoped: only this run's cases
    select * from {{ ref('int_case_month_snapshots') }}

),

complaints as (

    -- distinct complaints (instant, category), as fct_cases.complaint_count: a complaint re-sent
    -- under a new event_id is one complaint
    select case_id, {{ local_date('occurred_at') }} as complaint_date,
           count(distinct (occurred_at, coalesce(complaint_category, ''))) as complaints
    from {{ ref('int_case_events_scoped') }}
    where event_type = 'case.complained'
    group by 1, 2

),

measures as (

    select case_id, 'received' as measure, receiving_officer_id as officer_id, agency_code,
           received_date as activity_date, 1 as value
    from cases

    union all
    select case_id, 'returned_first_pass', receiving_officer_id, agency_code, received_date, 1
    from cases where return_count >= 1

    union all
    select case_id, 'completed', handling_officer_id, completing_agency_code, completed_date, 1
    from cases where status = 'completed'

    union all
    select case_id, 'completed_on_time', handling_officer_id, completing_agency_code, completed_date, 1
    from cases where timeliness in ('early', 'on_time')

    union all
    select case_id, 'timeliness_' || timeliness, handling_officer_id, completing_agency_code, completed_date, 1
    from cases where status = 'completed'

    union all
    select case_id, 'refused', handling_officer_id, completing_agency_code, completed_date, 1
    from cases where outcome = 'refused'

    union all
    select case_id, 'completed_with_complaint', handling_officer_id, completing_agency_code, completed_date, 1
    from cases where status = 'completed' and complaint_count > 0

    union all
    -- working time from clock start to completion, waiting for the applicant excluded, in days of 480 minutes
    select cases.case_id, 'processing_working_days', cases.handling_officer_id, cases.completing_agency_code,
           cases.completed_date,
           greatest(0, {{ working_position('cases.completed_at', 'done_day') }}
                       - {{ working_position('cases.clock_started_at', 'start_day') }}
                       - cases.waiting_working_minutes * 60) / ({{ seconds_per_working_day() }} * 1.0)
    from cases
    inner join {{ ref('int_calendar_days') }} as start_day
        on start_day.calendar_key = {{ calendar_key_for('cases.agency_code') }}
        and start_day.calendar_date = {{ local_date('cases.clock_started_at') }}
    inner join {{ ref('int_calendar_days') }} as done_day
        on done_day.calendar_key = start_day.calendar_key
        and done_day.calendar_date = {{ local_date('cases.completed_at') }}
    where cases.status = 'completed'

    union all
    select case_id, 'rating', coalesce(handling_officer_id, receiving_officer_id),
           coalesce(completing_agency_code, agency_code), {{ local_date('rated_at') }}, rating_score
    from cases where rating_score is not null

    union all
    select case_id, 'rating_satisfied', coalesce(handling_officer_id, receiving_officer_id),
           coalesce(completing_agency_code, agency_code), {{ local_date('rated_at') }}, 1
    from cases where rating_score >= 4

    union all
    select cases.case_id, 'complaint', coalesce(cases.handling_officer_id, cases.receiving_officer_id),
           coalesce(cases.completing_agency_code, cases.agency_code), complaints.complaint_date, complaints.complaints
    from cases
    inner join complaints on complaints.case_id = cases.case_id

    union all
    select case_id, 'withdrawn', null, agency_code, {{ local_date('withdrawn_at') }}, 1
    from cases where status = 'withdrawn'

    union all
    select case_id, open_state, null, agency_code, snapshot_date, 1
    from snapshots

)

select
    case_id,
    measure,
    officer_id,
    agency_code,
    activity_date,
    date_trunc('month', activity_date)::date as month,
    value::numeric as value
from measures
