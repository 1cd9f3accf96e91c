{#- Evaluation method v1 (docs/domain/evaluation-method.md): every number is configuration in
    kpi_models/ (seeds), valid by date: a period uses the value valid on its last day. -#}

{#- A setting of eval_settings.csv valid on `date_expr` (scalar subquery). -#}
{% macro eval_setting(key, date_expr) -%}
  (select settings.value from {{ ref('eval_settings') }} as settings
   where settings.key = '{{ key }}' and settings.valid_from <= {{ date_expr }}
   order by settings.valid_from desc limit 1)
{%- endmacro %}

{#- The first month evaluated: the first date the settings are valid from. -#}
{% macro eval_first_month() -%}
  (select min(valid_from) from {{ ref('eval_settings') }})
{%- endmacro %}

{#- Band of a total by the thresholds valid on `date_expr` (lower bound inclusive); pending without total. -#}
{% macro eval_band(total, date_expr) -%}
  case
      when {{ total }} is null then 'pending'
      when {{ total }} >= {{ eval_setting('band_excellent_min', date_expr) }} then 'excellent'
      when {{ total }} >= {{ eval_setting('band_good_min', date_expr) }} then 'good'
      when {{ total }} >= {{ eval_setting('band_pass_min', date_expr) }} then 'pass'
      else 'fail'
  end
{%- endmacro %}

{#- Quota k of a group: floor(r x (|E| + |G|) / (1 + r)), so that after demotion E <= r x G. -#}
{% macro eval_quota_k(excellent_and_good, date_expr) -%}
  floor({{ eval_setting('quota_ratio', date_expr) }} * ({{ excellent_and_good }})
        / (1 + {{ eval_setting('quota_ratio', date_expr) }}))::int
{%- endmacro %}

{#- Bands, the excellence quota and the rank within each group (agency, position group, period),
    over a relation with officer_id, agency_code, position_group, period_type, period, period_end
    and total_points. The k highest totals stay excellent; officers tied at the cut who cannot all
    stay are all demoted (quota_tie); demoted officers are banded good. -#}
{% macro eval_banded(relation) %}
banded as (

    select
        {{ relation }}.*,
        {{ eval_band(relation ~ '.total_points', relation ~ '.period_end') }} as band_before_quota
    from {{ relation }}

),

quota_counted as (

    select
        banded.*,
        count(*) filter (where band_before_quota in ('excellent', 'good')) over quota_group as excellent_and_good,
        -- excellent officers with a total at or above this one (ties included: range frame)
        count(*) filter (where band_before_quota = 'excellent') over (
            partition by agency_code, position_group, period_type, period
            order by total_points desc nulls last
            range between unbounded preceding and current row) as excellent_at_or_above,
        count(*) over (partition by agency_code, position_group, period_type, period, total_points) as tied_with,
        case when total_points is not null then
            rank() over (partition by agency_code, position_group, period_type, period order by total_points desc nulls last)
        end::int as rank_in_group
    from banded
    window quota_group as (partition by agency_code, position_group, period_type, period)

),

quota_applied as (

    select
        quota_counted.*,
        {{ eval_quota_k('excellent_and_good', 'period_end') }} as quota_k
    from quota_counted

),

quota_flags as (

    select
        quota_applied.*,
        band_before_quota = 'excellent' and excellent_at_or_above > quota_k as quota_demoted,
        -- demoted although its rank fits within k: the officers tied at the cut cannot all stay
        band_before_quota = 'excellent' and excellent_at_or_above > quota_k
            and excellent_at_or_above - tied_with + 1 <= quota_k as quota_tie
    from quota_applied

)
{% endmacro %}

{#- Exemptions (method v1 item 3), per membership measure: an active `lateness` exemption makes a
    late completed case count as on time (+1 in the on-time numerator); an active `return`
    exemption removes a returned case from the first-pass return count (-1). -#}
{% macro eval_exempted_measures() -%}
  {{ return({'lateness': 'timeliness_late', 'return': 'returned_first_pass'}) }}
{%- endmacro %}

{#- The membership measures behind each officer-month KPI of the registry: {kpi: (numerator
    measure, denominator measure)}; None where the side is not made of cases (working_days). -#}
{% macro eval_kpi_measures() %}
  {%- set by_column = {} %}
  {%- for m in registry_measures('officer_month') if m['measure'] %}{% do by_column.update({m['column']: m['measure']}) %}{% endfor %}
  {%- set found = {} %}
  {%- for k in registry_kpis('officer_month') %}
    {%- do found.update({k['code']: (by_column.get(k['numerator_sql'].strip()), by_column.get(k['denominator_sql'].strip()))}) %}
  {%- endfor %}
  {{- return(found) }}
{% endmacro %}

{#- A 'YYYY-MM-DD' text as a date, NULL when it is not a valid calendar date (no loaded value may
    fail a build: the loader validates the contract, this guards what got past it). -#}
{% macro safe_date(text_expr) -%}
  case when {{ text_expr }} ~ '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' then
      case when substr({{ text_expr }}, 9, 2)::int <= extract(day from (
                    make_date(substr({{ text_expr }}, 1, 4)::int, substr({{ text_expr }}, 6, 2)::int, 1)
                    + interval '1 month' - interval '1 day'))
           then ({{ text_expr }})::date end
  end
{%- endmacro %}

{#- eval_case_membership's post-hook: record what the table was built with besides the cases (each
    officer-month's context, the active exemptions), in the build schema and in the model's
    transaction, so a failed run records nothing; eval_membership_touched compares with it. -#}
{% macro record_eval_membership_context() -%}
    create table if not exists {{ build_schema() }}.eval_membership_built_context (
        officer_id text not null, period text not null, context text not null, primary key (officer_id, period));
    create table if not exists {{ build_schema() }}.eval_membership_built_exemptions (
        case_id text not null, scope text not null, decision_ref text);
    delete from {{ build_schema() }}.eval_membership_built_context;
    insert into {{ build_schema() }}.eval_membership_built_context (officer_id, period, context)
    select officer_id, period, context from {{ ref('eval_membership_context') }};
    delete from {{ build_schema() }}.eval_membership_built_exemptions;
    insert into {{ build_schema() }}.eval_membership_built_exemptions (case_id, scope, decision_ref)
    select case_id, scope, decision_ref from {{ ref('int_case_exemptions') }} where is_active
{%- endmacro %}
