{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key=['officer_id', 'agency_code', 'month'],
    keep_row_when='membership_rows > 0',
    on_schema_change='fail',
    indexes=[{'columns': ['officer_id', 'agency_code', 'month'], 'unique': true}],
) }}
{#- KPIs per officer, agency and month, with each KPI's versioned target and whether it was met
    (judged on the exact fraction; the stored rate is rounded to 4 decimals). working_days counts
    the agency calendar's working days in the month, from the history's first day in the month it
    starts in (is_partial_period). -#}

-- depends_on: {{ ref('int_cases_affected') }}
-- depends_on: {{ ref('int_kpi_keys_previous') }}
-- depends_on: {{ ref('kpi_case_membership') }}

with

{% if is_incremental() -%}
keys as (

    -- officer-months the affected cases counted in before this run, or count in now
    {{ affected_kpi_keys(['officer_id', 'agency_code', 'month']) }}
    union
    {{ context_changed_keys(['officer_id', 'agency_code', 'month']) }}

),

summed as (

    -- one indexed lookup per key (lateral): the plan cannot drift into a scan of all history
    select keys.officer_id, keys.agency_code, keys.month, sums.*
    from keys
    cross join lateral (
        select
            {{- summed_measures('officer_month', 'daily', coalesce_zero=true) }}
            count(daily.activity_date)::int as active_days
        from {{ ref('kpi_officer_daily') }} as daily
        where daily.officer_id = keys.officer_id
          and daily.agency_code = keys.agency_code
          and daily.month = keys.month
    ) as sums

),
{%- else -%}
summed as (

    select
        daily.officer_id,
        daily.agency_code,
        daily.month,
        {{- summed_measures('officer_month', 'daily') }}
        count(daily.activity_date)::int as active_days
    from {{ ref('kpi_officer_daily') }} as daily
    group by 1, 2, 3

),
{%- endif %}

with_calendar as (

    -- a month the history starts in counts only its covered working days
    select
        summed.*,
        {{ covered_from('summed.month') }} as covered_from,
        {{ working_days_in_month('summed.agency_code', 'summed.month', covered_from('summed.month')) }} as working_days
    from summed
    cross join {{ ref('int_history_coverage') }} as coverage

),

rated as (

    select
        *,
        {{ kpi_rates('officer_month') }}
    from with_calendar

)

select
    rated.officer_id,
    null::text as officer_name,  -- from the staff topic once it is captured
    rated.agency_code,
    agencies.agency_name,
    rated.month,
    rated.working_days,
    rated.covered_from,
    rated.covered_from > rated.month as is_partial_period,
    {{- kpi_columns('officer_month', 'rated') }},
    {{ kpi_target_columns('rated') }},
    rated.active_days
from rated
left join {{ ref('agencies') }} as agencies on agencies.agency_code = rated.agency_code
{{ kpi_target_joins('rated.month') }}
