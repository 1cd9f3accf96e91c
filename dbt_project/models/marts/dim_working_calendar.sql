{{ config(
    materialized='table',
    indexes=[{'columns': ['calendar_key', 'calendar_date'], 'unique': true}],
) }}
{#- The working-minute index of the calendar, published beside the marts so that BI's
    marts.open_cases_due_soon can place "now" on the working-time axis without reading the
    intermediate layer: one row per calendar key and local date, the working seconds elapsed
    before the day (cum_seconds_before) and whether it is worked. The office hours are built into
    marts.due_soon_working_position() (macros/due_soon.sql) from var office_hours. -#}

select
    calendar_key,
    calendar_date,
    is_working_day,
    working_seconds,
    cum_seconds_before
from {{ ref('int_calendar_days') }}
