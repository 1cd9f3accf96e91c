{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key=['agency_code', 'month'],
    keep_row_when='membership_rows > 0',
    on_schema_change='fail',
    indexes=[{'columns': ['agency_code', 'month'], 'unique': true}],
) }}
{#- The officer KPIs per agency and month, plus the counts OpenCPS publishes: early, on_time,
    late, open_within_deadline / open_overdue / waiting_for_applicant (open cases at the end of
    the month, or at the build's as-of instant for the current month) and withdrawn. -#}

-- depends_on: {{ ref('int_cases_affected') }}
-- depends_on: {{ ref('int_kpi_keys_previous') }}

with

{% if is_incremental() -%}
keys as (

    -- agency-months the affected cases counted in before this run, or count in now
    {{ affected_kpi_keys(['agency_code', 'month']) }}
    union
    {{ context_changed_keys(['agency_code', 'month']) }}

),

counted as (

    -- one indexed lookup per key (lateral): the plan cannot drift into a scan of all history
    select keys.agency_code, keys.month, counts.*
    from keys
    cross join lateral (
    select
        {{ membership_counts('membership', 'agency_month') }},
        {{ agency_state_counts('membership') }}
    from {{ ref('kpi_case_membership') }} as membership
    where membership.agency_code = keys.agency_code
      and membership.month = keys.month
    ) as counts

),
{%- else -%}
counted as (

    select
        membership.agency_code,
        membership.month,
        {{ membership_counts('membership', 'agency_month') }},
        {{ agency_state_counts('membership') }}
    from {{ ref('kpi_case_membership') }} as membership
    group by 1, 2

),
{%- endif %}

with_calendar as (

    -- a month the history starts in counts only its covered working days
    select
        counted.*,
        {{ covered_from('counted.month') }} as covered_from,
        {{ working_days_in_month('counted.agency_code', 'counted.month', covered_from('counted.month')) }} as working_days
    from counted
    cross join {{ ref('int_history_coverage') }} as coverage

),

rated as (

    select
        *,
        {{ kpi_rates('agency_month') }}
    from with_calendar

)

select
    rated.agency_code,
    agencies.agency_name,
    rated.month,
    rated.working_days,
    rated.covered_from,
    rated.covered_from > rated.month as is_partial_period,
    {{- kpi_columns('agency_month', 'rated') }},
    {{ kpi_target_columns('rated') }},
    rated.officers_count
from rated
left join {{ ref('agencies') }} as agencies on agencies.agency_code = rated.agency_code
{{ kpi_target_joins('rated.month') }}
