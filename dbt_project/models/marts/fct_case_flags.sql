{{ config(
    post_hook=['{{ analyze_if_new() }}'],
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='case_id',
    on_schema_change='fail',
) }}
{#- (The contract's primary key on case_id gives the unique index.)
    One row per received case: the gaming flags ("chạy KPI", docs/domain/fairness-and-early-warning.md),
    each with the quantity behind it and the officer, agency and local date it is attributed to
    (the officer who issued the event; an event without one, e.g. the applicant's, goes to the
    case's handling officer, else its receiving officer). A flag is NULL when the case has no event
    it applies to (no return, no withdrawal, no extension, no Kafka timestamp).
    Per flag, the event that speaks for the case: the return (withdrawal, extension) nearest to or
    furthest past its deadline; for repeated_return the second return, else the first; for
    late_recorded the event recorded the longest after it happened.
    Incremental like fct_cases: recomputes this run's cases and replaces them by case_id.
    Flags are shown, never scored. -#}

with

cases as (

    select case_id, agency_code, procedure_code, received_at, status, withdrawn_at, return_count,
           coalesce(handling_officer_id, receiving_officer_id) as fallback_officer_id
    from {{ ref('int_case_sla') }}

),

thresholds as (

    {{ fairness_threshold_periods() }}

),

returns as (

    select distinct on (case_id) *
    from {{ ref('int_case_flag_events') }}
    where event_type = 'case.returned'
    order by case_id, is_flagged_near_deadline desc nulls last, working_seconds_left, occurred_at, event_id

),

withdrawals as (

    -- the withdrawal that withdrew the case (the first one, before any result)
    select distinct on (events.case_id) events.*
    from {{ ref('int_case_flag_events') }} as events
    inner join cases
        on cases.case_id = events.case_id
        and cases.status = 'withdrawn'
    where events.event_type = 'case.withdrawn'
    order by events.case_id, events.occurred_at, events.event_id

),

extensions as (

    select distinct on (case_id) *
    from {{ ref('int_case_flag_events') }}
    where event_type = 'case.extended'
    order by case_id, is_flagged_near_deadline desc nulls last, working_seconds_left, occurred_at, event_id

),

return_sequence as (

    -- two returns at the same instant are one return delivered twice (as in return_count)
    select
        *,
        dense_rank() over (partition by case_id order by occurred_at) as return_number
    from {{ ref('int_case_flag_events') }}
    where event_type = 'case.returned'

),

repeated_returns as (

    select distinct on (return_sequence.case_id)
        return_sequence.*,
        repeat_threshold.value as repeat_threshold
    from return_sequence
    inner join cases
        on cases.case_id = return_sequence.case_id
    {{ fairness_threshold_join('thresholds', 'repeat_threshold', 'repeated_return_count', local_date('cases.received_at')) }}
    where return_sequence.return_number <= coalesce(repeat_threshold.value, 2)
    order by return_sequence.case_id, return_sequence.return_number desc, return_sequence.event_id

),

recordings as (

    select distinct on (case_id) *
    from {{ ref('int_case_flag_events') }}
    where kafka_timestamp is not null and recorded_after_working_minutes is not null
    order by case_id, recorded_after_working_minutes desc, occurred_at, event_id

),

final as (

    select
        cases.case_id,
        cases.agency_code,
        cases.procedure_code,
        {{ local_date('cases.received_at') }} as received_date,

        returns.is_flagged_near_deadline as return_near_deadline,
        returns.share_left::numeric(7,4) as return_share_left,
        returns.working_minutes_past_deadline::numeric(12,2) as return_working_minutes_past_deadline,
        returns.officer_id as return_officer_id,
        returns.agency_code as return_agency_code,
        returns.event_date as return_date,

        withdrawals.is_flagged_near_deadline as withdrawal_near_deadline,
        withdrawals.share_left::numeric(7,4) as withdrawal_share_left,
        withdrawals.working_minutes_past_deadline::numeric(12,2) as withdrawal_working_minutes_past_deadline,
        withdrawals.officer_id as withdrawal_officer_id,
        withdrawals.agency_code as withdrawal_agency_code,
        withdrawals.event_date as withdrawal_date,

        extensions.is_flagged_near_deadline as extension_after_deadline,
        extensions.working_minutes_past_deadline::numeric(12,2) as extension_working_minutes_past_deadline,
        extensions.officer_id as extension_officer_id,
        extensions.agency_code as extension_agency_code,
        extensions.event_date as extension_date,

        case when repeated_returns.case_id is not null
             then cases.return_count >= coalesce(repeated_returns.repeat_threshold, 2) end as repeated_return,
        cases.return_count::int as return_count,
        repeated_returns.officer_id as repeated_return_officer_id,
        repeated_returns.agency_code as repeated_return_agency_code,
        repeated_returns.event_date as repeated_return_date,

        recordings.is_late_recorded as late_recorded,
        recordings.recorded_after_hours::numeric(12,2) as late_recorded_hours,
        recordings.recorded_after_working_minutes::numeric(12,2) as late_recorded_working_minutes,
        recordings.officer_id as late_recorded_officer_id,
        recordings.agency_code as late_recorded_agency_code,
        recordings.event_date as late_recorded_date
    from cases
    left join returns on returns.case_id = cases.case_id
    left join withdrawals on withdrawals.case_id = cases.case_id
    left join extensions on extensions.case_id = cases.case_id
    left join repeated_returns on repeated_returns.case_id = cases.case_id
    left join recordings on recordings.case_id = cases.case_id

)

select
    final.*,
    (coalesce(return_near_deadline, false)::int + coalesce(withdrawal_near_deadline, false)::int
     + coalesce(extension_after_deadline, false)::int + coalesce(repeated_return, false)::int
     + coalesce(late_recorded, false)::int)::int as flag_count
from final
