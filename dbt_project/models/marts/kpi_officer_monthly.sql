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

{%- set summed_columns = ['cases_received', 'cases_returned_first_pass', 'cases_completed', 'cases_completed_on_time',
                           'early', 'on_time', 'late', 'refused', 'ratings_count', 'ratings_sum',
                           'ratings_satisfied_count', 'complaints_count', 'cases_completed_with_complaint', 'membership_rows'] %}
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
            {%- for column in summed_columns %}
            coalesce(sum(daily.{{ column }}), 0)::int as {{ column }},
            {%- endfor %}
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
        {%- for column in summed_columns %}
        sum(daily.{{ column }})::int as {{ column }},
        {%- endfor %}
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
        {{ kpi_rates() }}
    from with_calendar

)

select
    rated.officer_id,
    null::text as officer_name,  -- from the staff topic once it is captured
    rated.agency_code,
    agencies.agency_name,
    rated.month,
    rated.cases_received,
    rated.cases_returned_first_pass,
    {{ stored_rate('rated.first_pass_return_rate', 'first_pass_return_rate') }} as first_pass_return_rate,
    rated.cases_completed,
    rated.cases_completed_on_time,
    {{ stored_rate('rated.on_time_rate', 'on_time_rate') }} as on_time_rate,
    rated.early,
    rated.on_time,
    rated.late,
    rated.refused,
    rated.working_days,
    rated.covered_from,
    rated.covered_from > rated.month as is_partial_period,
    {{ stored_rate('rated.throughput_per_working_day', 'throughput_per_working_day') }} as throughput_per_working_day,
    rated.ratings_count,
    rated.ratings_sum,
    {{ stored_rate('rated.avg_rating', 'avg_rating') }} as avg_rating,
    rated.ratings_satisfied_count,
    {{ stored_rate('rated.satisfied_share', 'satisfied_share') }} as satisfied_share,
    rated.complaints_count,
    rated.cases_completed_with_complaint,
    {{ stored_rate('rated.complaint_rate', 'complaint_rate') }} as complaint_rate,
    {{ kpi_target_columns('rated') }},
    rated.active_days,
    rated.membership_rows
from rated
left join {{ ref('agencies') }} as agencies on agencies.agency_code = rated.agency_code
{{ kpi_target_joins('rated.month') }}
