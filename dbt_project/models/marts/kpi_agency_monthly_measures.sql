{{ config(
    materialized='incremental',
    incremental_strategy='replace_keys',
    unique_key=['agency_code', 'month'],
    keep_row_when='membership_rows > 0',
    on_schema_change='fail',
    indexes=[{'columns': ['agency_code', 'month'], 'unique': true}],
) }}
{#- Agency KPI measures per agency and month (incremental): the officer KPIs plus the counts
    OpenCPS publishes: early, on_time, late, open_within_deadline / open_overdue /
    waiting_for_applicant (open cases at the end of the month, or at the build's as-of instant for
    the current month) and withdrawn; Decision 766 indicator 2.1 (progress_index_766). Targets are
    joined at read time in kpi_agency_monthly. -#}

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
    where {{ keys_equal(['agency_code', 'month'], 'membership') }}
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

{{ monthly_kpi_rows('counted', 'agency_month', ['rated.agency_code'], ['rated.officers_count']) }}
