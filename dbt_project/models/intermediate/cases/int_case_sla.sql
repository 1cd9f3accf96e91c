{#- A table: fct_cases copies it and int_case_month_snapshots reads it, so the clock is computed
    once per run (scoped like int_case_events_scoped: all cases on a full build, the affected ones
    on an incremental run). -#}
{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- The SLA clock of each received case (docs/domain/sla-clock.md), in working-time positions
    (see macros/working_time.sql): every lookup is an equality join on the calendar, O(1) per case.
    - clock start: the receipt instant; outside office hours it is the next working minute by
      construction; at or after the procedure's cut-off it is the next working day's start.
    - legal deadline: clock start + processing_days working days (0.5 = half a day).
    - effective deadline: the receipt's appointment (due_at), moved later by the working time spent
      waiting for the applicant (policy pause), or the full legal limit again from the resubmission
      (policy restart). A wait that starts after the deadline has already passed does not move it
      (the clock had run out; a late case cannot be cured that way). Extensions never move it.
    - timeliness: early = completed before the local date of the effective deadline; on_time = on
      that date and not after the deadline instant; late = after it. -#}
{%- set day_seconds = seconds_per_working_day() %}

with

cases as (

    select * from {{ ref('int_case_milestones') }}
    where received_at is not null

),

agency_calendars as (

    select distinct calendar_key from {{ ref('int_calendar_days') }} where calendar_key <> '*'

),

procedure_config as (

    select * from {{ ref('procedure_sla_config') }}

),

configured as (

    select
        cases.*,
        coalesce(agency_calendars.calendar_key, '*') as calendar_key,
        coalesce(procedure_config.sla_policy, '{{ var("sla_policy") }}') as sla_policy,
        coalesce(
            procedure_config.receipt_cutoff_local,
            {% if var('receipt_cutoff') is not none %}'{{ var("receipt_cutoff") }}'::time{% else %}null::time{% endif %}
        ) as receipt_cutoff_local,
        cases.processing_days * {{ day_seconds }} as legal_limit_seconds
    from cases
    left join agency_calendars
        on agency_calendars.calendar_key = cases.agency_code
    left join procedure_config
        on procedure_config.procedure_code = cases.procedure_code
        and {{ local_date('cases.received_at') }} >= procedure_config.valid_from
        and (procedure_config.valid_to is null or {{ local_date('cases.received_at') }} < procedure_config.valid_to)

),

positioned as (

    select
        configured.*,
        case
            when receipt_day.is_working_day
                and configured.receipt_cutoff_local is not null
                and {{ local_ts('configured.received_at') }}::time >= configured.receipt_cutoff_local
                then receipt_day.cum_seconds_before + receipt_day.working_seconds
            else {{ working_position('configured.received_at', 'receipt_day') }}
        end as clock_start_position,
        {{ working_position('configured.due_at', 'due_day') }} as due_position
    from configured
    left join {{ ref('int_calendar_days') }} as receipt_day
        on receipt_day.calendar_key = configured.calendar_key
        and receipt_day.calendar_date = {{ local_date('configured.received_at') }}
    left join {{ ref('int_calendar_days') }} as due_day
        on due_day.calendar_key = configured.calendar_key
        and due_day.calendar_date = {{ local_date('configured.due_at') }}

),

{{ sla_wait_ctes('positioned') }},

wait_totals as (

    select
        case_id,
        count(*) as waiting_interval_count,
        sum(wait_seconds) as waiting_seconds,
        coalesce(sum(wait_seconds) filter (where moves_deadline), 0) as paused_seconds,
        max(until_position) filter (where moves_deadline) as last_moving_wait_until_position,
        bool_or(ended_by = 'open') as is_waiting_for_applicant
    from wait_effects
    group by case_id

),

deadlines as (

    select
        positioned.*,
        coalesce(wait_totals.waiting_interval_count, 0) as waiting_interval_count,
        coalesce(wait_totals.waiting_seconds, 0) as waiting_seconds,
        coalesce(wait_totals.paused_seconds, 0) as paused_seconds,
        coalesce(wait_totals.is_waiting_for_applicant, false) as is_waiting_for_applicant,
        positioned.clock_start_position + positioned.legal_limit_seconds as legal_due_position,
        case
            when positioned.sla_policy = 'restart' and wait_totals.last_moving_wait_until_position is not null
                then wait_totals.last_moving_wait_until_position + positioned.legal_limit_seconds
            when coalesce(wait_totals.paused_seconds, 0) > 0
                then positioned.due_position + wait_totals.paused_seconds
        end as moved_due_position
    from positioned
    left join wait_totals
        on wait_totals.case_id = positioned.case_id

),

instants as (

    select
        deadlines.*,
        {{ instant_at_position('deadlines.clock_start_position', 'start_day', 'start') }} as clock_started_at,
        {{ instant_at_position('deadlines.legal_due_position', 'legal_day', 'end') }} as legal_due_at,
        coalesce(
            {{ instant_at_position('deadlines.moved_due_position', 'moved_day', 'end') }},
            deadlines.due_at
        ) as effective_due_at
    from deadlines
    left join {{ ref('int_calendar_days') }} as start_day
        on start_day.calendar_key = deadlines.calendar_key
        and start_day.working_day_seq = {{ working_day_seq_for('deadlines.clock_start_position', 'start') }}
    left join {{ ref('int_calendar_days') }} as legal_day
        on legal_day.calendar_key = deadlines.calendar_key
        and legal_day.working_day_seq = {{ working_day_seq_for('deadlines.legal_due_position', 'end') }}
    left join {{ ref('int_calendar_days') }} as moved_day
        on moved_day.calendar_key = deadlines.calendar_key
        and moved_day.working_day_seq = {{ working_day_seq_for('deadlines.moved_due_position', 'end') }}

)

select
    case_id,
    receipt_event_id,
    agency_code,
    procedure_code,
    procedure_name,
    sector_code,
    channel,
    processing_days,
    receiving_officer_id,
    coalesce(completing_officer_id, last_assignee_id) as handling_officer_id,
    last_assignee_id,
    completing_officer_id,
    completing_agency_code,
    withdrawing_officer_id,
    withdrawing_agency_code,
    applicant_id_hash,
    calendar_key,
    sla_policy,
    receipt_cutoff_local,
    received_at,
    clock_started_at,
    due_at,
    legal_due_at,
    due_position > legal_due_position as is_due_beyond_legal_limit,
    effective_due_at,
    case when status = 'completed' then completed_at end as completed_at,
    case when status = 'completed' then outcome end as outcome,
    case when status = 'withdrawn' then withdrawn_at end as withdrawn_at,
    status,
    return_count,
    return_count >= 2 as is_repeat_return_breach,
    first_returned_at,
    first_returning_officer_id,
    first_return_reason_code,
    waiting_interval_count,
    round(waiting_seconds / 60.0, 2) as waiting_working_minutes,
    round(paused_seconds / 60.0, 2) as paused_working_minutes,
    is_waiting_for_applicant and status = 'open' as is_waiting_for_applicant,
    extension_count,
    latest_extended_due_at,
    case
        when status <> 'completed' or effective_due_at is null then null
        when completed_at > effective_due_at then 'late'
        when {{ local_date('completed_at') }} < {{ local_date('effective_due_at') }} then 'early'
        else 'on_time'
    end as timeliness,
    status = 'open' and not is_waiting_for_applicant and {{ as_of() }} > effective_due_at as is_overdue_open,
    rating_score,
    rated_at,
    rating_event_count,
    complaint_count,
    receipt_count,
    event_count,
    first_event_at,
    last_event_at,
    last_ingested_at,
    -- figures that move with the build's as-of instant: recomputed on every incremental run
    status = 'open' or last_event_at > {{ as_of() }} as recompute_each_run
from instants
