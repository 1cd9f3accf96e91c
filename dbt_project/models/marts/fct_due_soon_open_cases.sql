{{ config(
    materialized='table',
    post_hook=['analyze {{ this }}', '{{ due_soon_functions() }}'],
    indexes=[
        {'columns': ['case_id'], 'unique': true},
        {'columns': ['calendar_key', 'due_position']},
        {'columns': ['agency_code', 'due_position']},
        {'columns': ['officer_id', 'due_position']},
    ],
) }}
{#- The open cases whose SLA clock is running (not waiting for the applicant), each with its
    effective deadline placed on the working-time axis (due_position: working seconds since the
    calendar's start, macros/working_time.sql). Small (open cases only) and rebuilt whole each
    night from fct_cases; the alert DAG trims it intraday (motcua/due_soon.py). Which of them are
    due soon depends on the instant of the query: marts.open_cases_due_soon computes it then. -#}

with

open_cases as (

    select
        case_id,
        agency_code,
        procedure_code,
        procedure_name,
        -- the officer holding the case: last assignee, else the one who received it
        coalesce(handling_officer_id, receiving_officer_id) as handling_officer_id,
        received_at,
        effective_due_at,
        {{ calendar_key_for('agency_code') }} as calendar_key
    from {{ ref('fct_cases') }}
    where status = 'open'
      and not is_waiting_for_applicant
      and effective_due_at is not null

)

select
    open_cases.case_id,
    open_cases.agency_code,
    open_cases.procedure_code,
    open_cases.procedure_name,
    open_cases.handling_officer_id as officer_id,
    open_cases.received_at,
    open_cases.effective_due_at,
    open_cases.calendar_key,
    {{ working_position('open_cases.effective_due_at', 'due_day') }}::bigint as due_position,
    {{ as_of() }} as built_as_of
from open_cases
inner join {{ ref('int_calendar_days') }} as due_day
    on due_day.calendar_key = open_cases.calendar_key
    and due_day.calendar_date = {{ local_date('open_cases.effective_due_at') }}
