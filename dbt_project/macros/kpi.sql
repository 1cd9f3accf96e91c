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

{#- Each rate's numerator and denominator (column names of membership_counts + working_days):
    the exact fraction, which auditors recompute from the published counts. -#}
{% macro kpi_fractions() %}
  {{ return({
      'first_pass_return_rate': ('cases_returned_first_pass', 'cases_received'),
      'on_time_rate': ('cases_completed_on_time', 'cases_completed'),
      'throughput_per_working_day': ('cases_completed', 'working_days'),
      'avg_rating': ('ratings_sum', 'ratings_count'),
      'satisfied_share': ('ratings_satisfied_count', 'ratings_count'),
      'complaint_rate': ('cases_completed_with_complaint', 'cases_completed'),
  }) }}
{% endmacro %}

{#- Stored rates are rounded half away from zero to 4 decimals (0.7 prints as 0.7000, not with 20
    decimals); a target's met flag is judged on the exact fraction before rounding. Throughput
    can exceed 999, hence its wider type. -#}
{% macro rate_type(kpi) -%}
  {{ return('numeric(12,4)' if kpi == 'throughput_per_working_day' else 'numeric(7,4)') }}
{%- endmacro %}

{% macro stored_rate(expr, kpi='') -%}
  round({{ expr }}, 4)::{{ rate_type(kpi) }}
{%- endmacro %}

{#- The rates from the counts above: exact (rounded=false, to compare with targets) or as stored. -#}
{% macro kpi_rates(rounded=false) %}
  {%- for kpi, parts in kpi_fractions().items() %}
    {%- set exact = rate(parts[0], parts[1]) %}
        {{ stored_rate(exact, kpi) if rounded else exact }} as {{ kpi }}{% if not loop.last %},{% endif %}
  {%- endfor %}
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

{#- Keys of an incremental monthly table ({{ this }}) whose rows were built with another history
    start (int_history_coverage) or agency name (seed agencies) than now: recomputed although no
    affected case counts in them. A scan of a small table (one row per officer or agency and month). -#}
{% macro context_changed_keys(columns) -%}
    select {{ columns | join(', ') }}
    from {{ this }} as built
    where built.covered_from is distinct from
              greatest(built.month, (select covered_from from {{ ref('int_history_coverage') }}))
       or built.agency_name is distinct from
              (select agencies.agency_name from {{ ref('agencies') }} as agencies
               where agencies.agency_code = built.agency_code)
{%- endmacro %}

{#- The covered part of a month: from the first day of the history when the month holds it. -#}
{% macro covered_from(month_expr, coverage_alias='coverage') -%}
  greatest({{ month_expr }}, {{ coverage_alias }}.covered_from)
{%- endmacro %}
