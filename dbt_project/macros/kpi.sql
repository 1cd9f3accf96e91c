{#- Shared KPI arithmetic. Rates are fractions in [0, 1], NULL when the denominator is zero. -#}
{% macro rate(numerator, denominator) -%}
  ({{ numerator }})::numeric / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- Sums of membership values per measure (rows = kpi_case_membership rows of one KPI row). -#}
{% macro measure_sum(measure, alias='membership') -%}
  coalesce(sum({{ alias }}.value) filter (where {{ alias }}.measure = '{{ measure }}'), 0)
{%- endmacro %}

{#- The counts every officer/agency KPI row carries, from kpi_case_membership rows. -#}
{% macro membership_counts(alias='membership') %}
        {{ measure_sum('received', alias) }}::int as cases_received,
        {{ measure_sum('returned_first_pass', alias) }}::int as cases_returned_first_pass,
        {{ measure_sum('completed', alias) }}::int as cases_completed,
        {{ measure_sum('completed_on_time', alias) }}::int as cases_completed_on_time,
        {{ measure_sum('timeliness_early', alias) }}::int as early,
        {{ measure_sum('timeliness_on_time', alias) }}::int as on_time,
        {{ measure_sum('timeliness_late', alias) }}::int as late,
        {{ measure_sum('refused', alias) }}::int as refused,
        {{ measure_sum('completed_with_complaint', alias) }}::int as cases_completed_with_complaint,
        count({{ alias }}.measure) filter (where {{ alias }}.measure = 'rating')::int as ratings_count,
        {{ measure_sum('rating', alias) }}::int as ratings_sum,
        {{ measure_sum('rating_satisfied', alias) }}::int as ratings_satisfied_count,
        {{ measure_sum('complaint', alias) }}::int as complaints_count,
        count({{ alias }}.measure)::int as membership_rows
{% endmacro %}

{#- Agency-only counts (OpenCPS): month-end states of open cases, withdrawals, officers involved. -#}
{% macro agency_state_counts(alias='membership') -%}
        {{ measure_sum('open_within_deadline', alias) }}::int as open_within_deadline,
        {{ measure_sum('open_overdue', alias) }}::int as open_overdue,
        {{ measure_sum('waiting_for_applicant', alias) }}::int as waiting_for_applicant,
        {{ measure_sum('withdrawn', alias) }}::int as withdrawn,
        count(distinct {{ alias }}.officer_id)::int as officers_count
{%- endmacro %}

{#- Rates computed from the counts above (column names of membership_counts). -#}
{% macro kpi_rates() %}
        {{ rate('cases_returned_first_pass', 'cases_received') }} as first_pass_return_rate,
        {{ rate('cases_completed_on_time', 'cases_completed') }} as on_time_rate,
        {{ rate('cases_completed', 'working_days') }} as throughput_per_working_day,
        {{ rate('ratings_sum', 'ratings_count') }} as avg_rating,
        {{ rate('ratings_satisfied_count', 'ratings_count') }} as satisfied_share,
        {{ rate('cases_completed_with_complaint', 'cases_completed') }} as complaint_rate
{% endmacro %}

{#- KPIs that may have a target in kpi_models/kpi_targets.csv. -#}
{% macro targeted_kpis() %}
  {{ return(['on_time_rate', 'first_pass_return_rate', 'throughput_per_working_day', 'avg_rating', 'complaint_rate']) }}
{% endmacro %}

{#- Joins of the versioned targets valid for `month_expr` (one alias per KPI). -#}
{% macro kpi_target_joins(month_expr) %}
  {%- for kpi in targeted_kpis() %}
    left join {{ ref('kpi_targets') }} as target_{{ kpi }}
        on target_{{ kpi }}.kpi_code = '{{ kpi }}'
        and {{ month_expr }} >= target_{{ kpi }}.valid_from
        and ({{ month_expr }} < target_{{ kpi }}.valid_to or target_{{ kpi }}.valid_to is null)
  {%- endfor %}
{% endmacro %}

{#- <kpi>_target and <kpi>_met (NULL when the value or the target is NULL). -#}
{% macro kpi_target_columns(source_alias) %}
  {%- for kpi in targeted_kpis() %}
        target_{{ kpi }}.target as {{ kpi }}_target,
        case target_{{ kpi }}.comparator
            when '>=' then {{ source_alias }}.{{ kpi }} >= target_{{ kpi }}.target
            when '>' then {{ source_alias }}.{{ kpi }} > target_{{ kpi }}.target
            when '<=' then {{ source_alias }}.{{ kpi }} <= target_{{ kpi }}.target
            when '<' then {{ source_alias }}.{{ kpi }} < target_{{ kpi }}.target
        end as {{ kpi }}_met{% if not loop.last %},{% endif %}
  {%- endfor %}
{% endmacro %}

{#- The KPI keys (e.g. officer, agency, day) an incremental run must replace: those the affected
    cases counted in before this run (int_kpi_keys_previous) or count in now (the membership).
    Officer-level keys skip the agency-only rows (officer_id NULL). -#}
{% macro affected_kpi_keys(columns) -%}
  {%- set officer_only = 'officer_id' in columns -%}
    select {{ columns | join(', ') }}
    from {{ ref('int_kpi_keys_previous') }}
    {%- if officer_only %}
    where officer_id is not null
    {%- endif %}
    union
    select {{ columns | join(', ') }}
    from {{ ref('kpi_case_membership') }}
    where case_id in (select case_id from {{ ref('int_cases_affected') }})
    {%- if officer_only %}
      and officer_id is not null
    {%- endif %}
{%- endmacro %}
