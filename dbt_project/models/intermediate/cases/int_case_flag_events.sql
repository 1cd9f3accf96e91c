{#- A table (scoped like int_case_events_scoped: every case on a full build, the affected ones on an
    incremental run): fct_case_flags reads it five times. -#}
{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- One row per event of a received case (this run's scope) with what the gaming flags measure
    (docs/domain/fairness-and-early-warning.md); fct_case_flags keeps one row per case.

    For returns, withdrawals and extensions: the deadline in force when the event was issued, in
    working-time positions (macros/working_time.sql). It is the appointment moved by the waits for
    the applicant that had already happened (policy pause: the waited working time up to the event;
    policy restart: the full legal limit from the last resubmission before it), with the rule of
    int_case_sla that a wait starting after the (moved) deadline does not move it. The allowance is
    the agency's own working time, clock start → appointment (restart: the legal limit again after
    a resubmission); the share left = working time left ÷ allowance.

    For every event with a Kafka timestamp: the working time and the hours between occurred_at and
    that timestamp (late_recorded).

    Thresholds: kpi_models/fairness_thresholds.csv, the row in force on the event's local date. -#}
{%- set day_seconds = seconds_per_working_day() %}

with

thresholds as (

    {{ fairness_threshold_periods() }}

),

cases as (

    select
        sla.case_id,
        coalesce(sla.handling_officer_id, sla.receiving_officer_id) as fallback_officer_id,
        {{ working_position('sla.clock_started_at', 'start_day') }} as clock_start_position,
        {{ sla_wait_inputs() }}
    from {{ ref('int_case_sla') }} as sla
    left join {{ ref('int_calendar_days') }} as start_day
        on start_day.calendar_key = sla.calendar_key
        and start_day.calendar_date = {{ local_date('sla.clock_started_at') }}
    {{ sla_due_day_join() }}

),

{{ sla_wait_ctes('cases') }},

moving_waits as (

    -- the waits that moved the deadline (the rule of int_case_sla, macros/sla_waits.sql)
    select * from wait_effects where moves_deadline

),

events as (

    select
        events.event_id,
        events.case_id,
        events.event_type,
        events.agency_code,
        coalesce(events.officer_id, cases.fallback_officer_id) as officer_id,
        events.occurred_at,
        {{ local_date('events.occurred_at') }} as event_date,
        events.kafka_timestamp,
        cases.calendar_key,
        cases.sla_policy,
        cases.due_at,
        cases.legal_limit_seconds,
        cases.clock_start_position,
        cases.due_position,
        {{ working_position('events.occurred_at', 'event_day') }} as event_position,
        {{ working_position('events.kafka_timestamp', 'recorded_day') }} as recorded_position
    from {{ ref('int_case_events_scoped') }} as events
    inner join cases
        on cases.case_id = events.case_id
    left join {{ ref('int_calendar_days') }} as event_day
        on event_day.calendar_key = cases.calendar_key
        and event_day.calendar_date = {{ local_date('events.occurred_at') }}
    left join {{ ref('int_calendar_days') }} as recorded_day
        on recorded_day.calendar_key = cases.calendar_key
        and recorded_day.calendar_date = {{ local_date('events.kafka_timestamp') }}

),

waits_before_event as (

    select
        events.event_id,
        -- pause: the working time already waited by the event (a wait still running counts up to it)
        sum(greatest(0, least(waits.until_position, events.event_position) - waits.from_position)) as paused_seconds,
        -- restart: the last resubmission before the event
        max(waits.until_position) filter (where waits.waiting_until <= events.occurred_at) as restarted_position
    from events
    inner join moving_waits as waits
        on waits.case_id = events.case_id
        and waits.from_position <= events.event_position
    where events.event_type in ('case.returned', 'case.withdrawn', 'case.extended')
    group by events.event_id

),

in_force as (

    select
        events.*,
        case
            when events.event_type not in ('case.returned', 'case.withdrawn', 'case.extended') then null
            when events.sla_policy = 'restart' and waits_before_event.restarted_position is not null
                then waits_before_event.restarted_position + events.legal_limit_seconds
            when events.sla_policy = 'pause'
                then events.due_position + coalesce(waits_before_event.paused_seconds, 0)
            else events.due_position
        end as deadline_position,
        case
            when events.event_type not in ('case.returned', 'case.withdrawn', 'case.extended') then null
            when events.sla_policy = 'restart' and waits_before_event.restarted_position is not null
                then events.legal_limit_seconds
            else events.due_position - events.clock_start_position
        end as allowance_seconds
    from events
    left join waits_before_event
        on waits_before_event.event_id = events.event_id

),

measured as (

    select
        in_force.*,
        -- the deadline instant in force: the appointment itself while nothing moved it
        case
            when in_force.deadline_position is null then null
            when in_force.deadline_position = in_force.due_position then in_force.due_at
            else {{ instant_at_position('in_force.deadline_position', 'deadline_day', 'end') }}
        end as deadline_at,
        (in_force.deadline_position - in_force.event_position)::numeric
            / nullif(greatest(in_force.allowance_seconds, 0), 0) as share_left_exact,
        (in_force.recorded_position - in_force.event_position) as recorded_after_seconds
    from in_force
    left join {{ ref('int_calendar_days') }} as deadline_day
        on deadline_day.calendar_key = in_force.calendar_key
        and deadline_day.working_day_seq = {{ working_day_seq_for('in_force.deadline_position', 'end') }}

)

select
    measured.event_id,
    measured.case_id,
    measured.event_type,
    measured.agency_code,
    measured.officer_id,
    measured.occurred_at,
    measured.event_date,
    measured.deadline_at,
    measured.deadline_position - measured.event_position as working_seconds_left,
    -- shares outside [0, 1] (after the deadline; an event before the clock started) are clamped;
    -- the flags use the exact value
    round(greatest(0, least(1, measured.share_left_exact)), 4) as share_left,
    round(greatest(0, measured.event_position - measured.deadline_position) / 60.0, 2) as working_minutes_past_deadline,
    measured.occurred_at > measured.deadline_at as is_after_deadline,
    case
        when measured.event_type = 'case.returned'
            then measured.occurred_at > measured.deadline_at
                 or coalesce(measured.share_left_exact < return_threshold.value, false)
        when measured.event_type = 'case.withdrawn'
            then measured.occurred_at > measured.deadline_at
                 or coalesce(measured.share_left_exact < withdrawal_threshold.value, false)
        when measured.event_type = 'case.extended'
            then measured.occurred_at > measured.deadline_at
    end as is_flagged_near_deadline,
    measured.kafka_timestamp,
    round(extract(epoch from (measured.kafka_timestamp - measured.occurred_at)) / 3600.0, 2) as recorded_after_hours,
    round(measured.recorded_after_seconds / 60.0, 2) as recorded_after_working_minutes,
    measured.recorded_after_seconds > late_threshold.value * {{ day_seconds }} as is_late_recorded
from measured
{{ fairness_threshold_join('thresholds', 'return_threshold', 'return_near_deadline_share_left', 'measured.event_date') }}
{{ fairness_threshold_join('thresholds', 'withdrawal_threshold', 'withdrawal_near_deadline_share_left', 'measured.event_date') }}
{{ fairness_threshold_join('thresholds', 'late_threshold', 'late_recorded_working_days', 'measured.event_date') }}
