{#- Shared KPI arithmetic. Rates are fractions in [0, 1], NULL when the denominator is zero. -#}
{% macro rate(numerator, denominator) -%}
  ({{ numerator }})::numeric / nullif({{ denominator }}, 0)
{%- endmacro %}

{#- Sums of membership values per measure (rows = kpi_case_membership rows of one KPI row). -#}
{% macro measure_sum(measure, alias='membership') -%}
  coalesce(sum({{ alias }}.value) filter (where {{ alias }}.measure = '{{ measure }}'), 0)
{%- endmacro %}

{#- The KPI registry (kpi_models/catalogue.yml, via the generated macro kpi_registry()):
    measures and KPIs of one grain (officer_day, officer_month, agency_month). -#}
{% macro registry_measures(grain) %}
  {%- set found = [] %}
  {%- for m in kpi_registry()['measures'] if grain in m['grains'] %}{% do found.append(m) %}{% endfor %}
  {{- return(found) }}
{% endmacro %}

{% macro registry_kpis(grain=none) %}
  {%- set found = [] %}
  {%- for k in kpi_registry()['kpis'] if grain is none or grain in k['grains'] %}{% do found.append(k) %}{% endfor %}
  {{- return(found) }}
{% endmacro %}

{#- SQL type of a measure column: counts are integers, other measures keep their fractions. -#}
{% macro measure_cast(m) -%}
  {{ 'int' if m['data_type'] == 'integer' else 'numeric' }}
{%- endmacro %}

{#- The measure columns of a KPI row of `grain`, from kpi_case_membership rows. -#}
{% macro membership_counts(alias='membership', grain='officer_day') %}
  {%- for m in registry_measures(grain) %}
    {%- if m['aggregate'] == 'rows' %}
        count({{ alias }}.measure)::int as {{ m['column'] }}
    {%- elif m['aggregate'] == 'count' %}
        count({{ alias }}.measure) filter (where {{ alias }}.measure = '{{ m['measure'] }}')::int as {{ m['column'] }}
    {%- else %}
        {{ measure_sum(m['measure'], alias) }}::{{ measure_cast(m) }} as {{ m['column'] }}
    {%- endif %}{% if not loop.last %},{% endif %}
  {%- endfor %}
{% endmacro %}

{#- The measure columns of a monthly row as sums of the daily rows (`daily` alias). -#}
{% macro summed_measures(grain, alias='daily', coalesce_zero=false) %}
  {%- for m in registry_measures(grain) %}
        {% if coalesce_zero %}coalesce(sum({{ alias }}.{{ m['column'] }}), 0){% else %}sum({{ alias }}.{{ m['column'] }}){% endif %}::{{ measure_cast(m) }} as {{ m['column'] }},
  {%- endfor %}
{% endmacro %}

{#- Agency-only: officers involved (the agency-only measures are in the registry). -#}
{% macro agency_state_counts(alias='membership') -%}
        count(distinct {{ alias }}.officer_id)::int as officers_count
{%- endmacro %}

{#- Each KPI's numerator and denominator (expressions over the measure columns + working_days):
    the exact fraction, which auditors recompute from the published counts. -#}
{% macro kpi_fractions(grain=none) %}
  {%- set fractions = {} %}
  {%- for k in registry_kpis(grain) %}{% do fractions.update({k['code']: (k['numerator_sql'], k['denominator_sql'])}) %}{% endfor %}
  {{- return(fractions) }}
{% endmacro %}

{#- Stored rates are rounded half away from zero to 4 decimals (0.7 prints as 0.7000, not with 20
    decimals); a target's met flag is judged on the exact fraction before rounding. The stored
    type is the registry's data_type (throughput can exceed 999, hence a wider type). -#}
{% macro rate_type(kpi) -%}
  {%- for k in registry_kpis() if k['code'] == kpi %}{{ k['data_type'] }}{% else %}numeric(7,4){% endfor -%}
{%- endmacro %}

{% macro stored_rate(expr, kpi='') -%}
  round({{ expr }}, 4)::{{ rate_type(kpi) }}
{%- endmacro %}

{#- The KPIs of `grain` from the measure columns: exact (rounded=false, to compare with targets)
    or as stored. -#}
{% macro kpi_rates(grain, rounded=false) %}
  {%- for kpi, parts in kpi_fractions(grain).items() %}
    {%- set exact = rate(parts[0], parts[1]) %}
        {{ stored_rate(exact, kpi) if rounded else exact }} as {{ kpi }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{% endmacro %}

{#- The published columns of a KPI row of `grain` from a relation holding the measures and the
    exact KPIs (`alias`): every measure, every KPI as stored (rounded). -#}
{% macro kpi_columns(grain, alias) %}
  {%- for m in registry_measures(grain) %}
    {{ alias }}.{{ m['column'] }},
  {%- endfor %}
  {%- for k in registry_kpis(grain) %}
    {{ stored_rate(alias ~ '.' ~ k['code'], k['code']) }} as {{ k['code'] }}{% if not loop.last %},{% endif %}
  {%- endfor %}
{% endmacro %}

{#- KPIs that may have a target in kpi_models/kpi_targets.csv (registry: targeted). -#}
{% macro targeted_kpis() %}
  {%- set found = [] %}
  {%- for k in registry_kpis() if k['targeted'] %}{% do found.append(k['code']) %}{% endfor %}
  {{- return(found) }}
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

{#- <kpi>_target and <kpi>_met (NULL when the value or the target is NULL). The met flag is judged
    on the exact fraction, recomputed from the row's numerator and denominator columns (the stored
    rate is rounded to 4 decimals). -#}
{% macro kpi_target_columns(source_alias) %}
  {%- set fractions = kpi_fractions() %}
  {%- for kpi in targeted_kpis() %}
    {%- set exact = rate(source_alias ~ '.' ~ fractions[kpi][0], source_alias ~ '.' ~ fractions[kpi][1]) %}
        target_{{ kpi }}.target as {{ kpi }}_target,
        case target_{{ kpi }}.comparator
            when '>=' then {{ exact }} >= target_{{ kpi }}.target
            when '>' then {{ exact }} > target_{{ kpi }}.target
            when '<=' then {{ exact }} <= target_{{ kpi }}.target
            when '<' then {{ exact }} < target_{{ kpi }}.target
        end as {{ kpi }}_met{% if not loop.last %},{% endif %}
  {%- endfor %}
{% endmacro %}

{#- The tail of a monthly KPI measures model, after the CTE `source` of its summed measures:
    working days of the covered part of the month, the KPIs, the published columns (`leading`:
    the key columns, `trailing`: row bookkeeping). Targets are joined later, at read time
    (kpi_officer_monthly, kpi_agency_monthly). -#}
{% macro monthly_kpi_rows(source, grain, leading, trailing) %}
with_calendar as (

    -- a month the history starts in counts only its covered working days
    select
        {{ source }}.*,
        {{ covered_from(source ~ '.month') }} as covered_from,
        {{ working_days_in_month(source ~ '.agency_code', source ~ '.month', covered_from(source ~ '.month')) }} as working_days
    from {{ source }}
    cross join {{ ref('int_history_coverage') }} as coverage

),

rated as (

    select
        *,
        {{ kpi_rates(grain) }}
    from with_calendar

)

select
    {%- for column in leading %}
    {{ column }},
    {%- endfor %}
    agencies.agency_name,
    rated.month,
    rated.working_days,
    rated.covered_from,
    rated.covered_from > rated.month as is_partial_period,
    {{- kpi_columns(grain, 'rated') }},
    {{ trailing | join(',\n    ') }}
from rated
left join {{ ref('agencies') }} as agencies on agencies.agency_code = rated.agency_code
{% endmacro %}

{#- A published monthly KPI table: the incremental measures (`measures_model`) with each targeted
    KPI's versioned target and met flag joined at read time. Rebuilt whole each run (one row per
    officer or agency and month), so a changed kpi_targets.csv re-scores every month without
    recomputing any case; queue_publish_on_config_change makes the next publication copy it all. -#}
{% macro kpi_with_targets(measures_model) %}
select
    measures.*,
    {{ kpi_target_columns('measures') }}
from {{ ref(measures_model) }} as measures
{{ kpi_target_joins('measures.month') }}
{% endmacro %}

{#- post-hook: when the targets or the scorecard weights differ from those of the previous build
    (a fingerprint of the two seeds, kept in the build schema), queue a full publication (a NULL
    case_id in the publish queue): every published month is re-scored, and the publication history
    records the changed targets, met flags and points as revisions. -#}
{% macro queue_publish_on_config_change() %}
    create table if not exists {{ build_schema() }}.kpi_config_fingerprint (
        recorded_id bigserial primary key, fingerprint text not null, invocation_id text not null,
        recorded_at timestamptz not null default now());
    {{ create_publish_queue_sql() }}
    with current_config as (
        select md5(coalesce((select string_agg(t::text, '|' order by t::text) from {{ ref('kpi_targets') }} as t), '')
                   || '#' || coalesce((select string_agg(w::text, '|' order by w::text) from {{ ref('scorecard_weights') }} as w), ''))
               as fingerprint
    ),
    previous as (
        select fingerprint from {{ build_schema() }}.kpi_config_fingerprint order by recorded_id desc limit 1
    ),
    changed as (
        insert into {{ build_schema() }}.kpi_config_fingerprint (fingerprint, invocation_id)
        select fingerprint, '{{ invocation_id }}' from current_config
        where fingerprint is distinct from (select fingerprint from previous)
        returning 1
    )
    -- the first fingerprint is recorded by the first build, which publishes everything anyway
    insert into {{ publish_queue_relation() }} (invocation_id, case_id)
    select '{{ invocation_id }}', null from changed where exists (select 1 from previous)
{% endmacro %}

{#- `alias.k = keys.k and ...` over the key columns: one indexed lookup per key of an incremental run. -#}
{% macro keys_equal(columns, alias, keys_alias='keys') -%}
  {%- for c in columns %}{{ ' and ' if not loop.first }}{{ alias }}.{{ c }} = {{ keys_alias }}.{{ c }}{% endfor -%}
{%- endmacro %}

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

{#- Generic test: every value of `column_name` is a measure of the KPI registry. -#}
{% test measure_in_kpi_registry(model, column_name) %}
  {%- set names = [] %}
  {%- for m in kpi_registry()['measures'] if m['measure'] %}{% do names.append("'" ~ m['measure'] ~ "'") %}{% endfor %}
    select {{ column_name }} as unknown_measure, count(*) as rows_count
    from {{ model }}
    where {{ column_name }} not in ({{ names | unique | join(', ') }})
    group by 1
{% endtest %}
