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
        {{ membership_counts('membership') }},
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
        {{ membership_counts('membership') }},
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
        {{ kpi_rates() }},
        -- Decision 766/QĐ-TTg indicator 2.1 (progress): on-time completed + open within deadline,
        -- over all cases handled (completed + open) in the month
        {{ rate('cases_completed_on_time + open_within_deadline',
                'cases_completed + open_within_deadline + open_overdue + waiting_for_applicant') }}
            as progress_index_766
    from with_calendar

)

select
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
    rated.open_within_deadline,
    rated.open_overdue,
    rated.waiting_for_applicant,
    rated.withdrawn,
    {{ stored_rate('rated.progress_index_766', 'progress_index_766') }} as progress_index_766,
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
    rated.officers_count,
    rated.membership_rows
from rated
left join {{ ref('agencies') }} as agencies on agencies.agency_code = rated.agency_code
{{ kpi_target_joins('rated.month') }}
