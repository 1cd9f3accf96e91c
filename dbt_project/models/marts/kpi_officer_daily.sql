{{ config(
    post_hook=['{{ analyze_if_new() }}'],
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key=['officer_id', 'agency_code', 'activity_date'],
    keep_row_when='membership_rows > 0',
    on_schema_change='fail',
    indexes=[
        {'columns': ['officer_id', 'agency_code', 'activity_date'], 'unique': true},
        {'columns': ['officer_id', 'agency_code', 'month']},
    ],
) }}
{#- KPIs per officer, agency and local date (nightly grain). Incremental: only the officer-days
    that the affected cases count in now or counted in before the run are recomputed, each from
    all of its membership rows; one left with nothing is dropped (strategy replace_keys). -#}

-- depends_on: {{ ref('int_cases_affected') }}
-- depends_on: {{ ref('int_kpi_keys_previous') }}

with

{% if is_incremental() -%}
keys as (

    -- officer-days the affected cases counted in before this run, or count in now
    {{ affected_kpi_keys(['officer_id', 'agency_code', 'activity_date']) }}

),

counted as (

    -- one indexed lookup per key (lateral): the plan cannot drift into a scan of all history
    select keys.officer_id, keys.agency_code, keys.activity_date, counts.*
    from keys
    cross join lateral (
        select
            {{ membership_counts('membership', 'officer_day') }}
        from {{ ref('kpi_case_membership') }} as membership
        where {{ keys_equal(['officer_id', 'agency_code', 'activity_date'], 'membership') }}
    ) as counts

),
{%- else -%}
counted as (

    select
        membership.officer_id,
        membership.agency_code,
        membership.activity_date,
        {{ membership_counts('membership', 'officer_day') }}
    from {{ ref('kpi_case_membership') }} as membership
    where membership.officer_id is not null
    group by 1, 2, 3

),
{%- endif %}

with_calendar as (

    select
        counted.*,
        coalesce(calendar.is_working_day::int, 0) as working_days
    from counted
    left join {{ ref('int_calendar_days') }} as calendar
        on calendar.calendar_key = {{ calendar_key_for('counted.agency_code') }}
        and calendar.calendar_date = counted.activity_date

),

rated as (

    select *, {{ kpi_rates('officer_day') }}
    from with_calendar

)

select
    rated.officer_id,
    rated.agency_code,
    rated.activity_date,
    date_trunc('month', rated.activity_date)::date as month,
    rated.working_days,
    {{- kpi_columns('officer_day', 'rated') }}
from rated
