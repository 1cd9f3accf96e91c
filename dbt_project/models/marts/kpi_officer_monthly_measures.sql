{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key=['officer_id', 'agency_code', 'month'],
    keep_row_when='membership_rows > 0',
    on_schema_change='fail',
    indexes=[{'columns': ['officer_id', 'agency_code', 'month'], 'unique': true}],
) }}
{#- Officer KPI measures per officer, agency and month (incremental): the sums of the daily rows,
    working days and the KPIs as stored; targets are joined at read time in kpi_officer_monthly.
    working_days counts the agency calendar's working days in the month, from the history's first
    day in the month it starts in (is_partial_period). -#}

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
        where {{ keys_equal(['officer_id', 'agency_code', 'month'], 'daily') }}
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

{#- officer_name: NULL until the staff topic is captured -#}
{{ monthly_kpi_rows('summed', 'officer_month', ['rated.officer_id', 'null::text as officer_name', 'rated.agency_code'], ['rated.active_days']) }}
