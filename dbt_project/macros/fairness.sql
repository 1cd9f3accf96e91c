{#- Fairness helpers (docs/domain/fairness-and-early-warning.md): versioned thresholds and the
    Wilson score interval. -#}

{#- The threshold periods of kpi_models/fairness_thresholds.csv: each row applies from its
    valid_from until the next row of the same key. Used as a CTE body. -#}
{% macro fairness_threshold_periods() -%}
    select
        key,
        value,
        valid_from,
        lead(valid_from) over (partition by key order by valid_from) as valid_to
    from {{ ref('fairness_thresholds') }}
{%- endmacro %}

{#- `left join <periods> as <alias>` on the row of `key` in force on the local date `date_expr`. -#}
{% macro fairness_threshold_join(periods, alias, key, date_expr) -%}
    left join {{ periods }} as {{ alias }}
        on {{ alias }}.key = '{{ key }}'
        and {{ date_expr }} >= {{ alias }}.valid_from
        and ({{ alias }}.valid_to is null or {{ date_expr }} < {{ alias }}.valid_to)
{%- endmacro %}

{#- Wilson score interval of x successes in n trials at normal quantile z (95%: 1.959964):
    (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n). Stored to 4 decimals, the lower bound
    rounded down and the upper bound up, so the stored interval still covers the stored rate
    (which is rounded half up). NULL when n = 0. -#}
{% macro wilson_bound(x, n, z, side) -%}
    case when ({{ n }}) > 0 then
        {%- set p = '((' ~ x ~ ')::numeric / (' ~ n ~ '))' %}
        {%- set z2 = '((' ~ z ~ ')::numeric * (' ~ z ~ '))' %}
        {%- set raw -%}
            (({{ p }} + {{ z2 }} / (2 * ({{ n }})))
             {{ '-' if side == 'lower' else '+' }} ({{ z }}) * sqrt(greatest({{ p }} * (1 - {{ p }}) / ({{ n }}) + {{ z2 }} / (4 * ({{ n }})::numeric * ({{ n }})), 0)))
            / (1 + {{ z2 }} / ({{ n }}))
        {%- endset %}
        {%- if side == 'lower' %}
        floor(greatest({{ raw }}, 0) * 10000) / 10000
        {%- else %}
        ceil(least({{ raw }}, 1) * 10000) / 10000
        {%- endif %}
    end
{%- endmacro %}

{#- The configuration fairness_officer_monthly's figures depend on besides the cases: the thresholds
    and the procedure complexity weights, as one md5 (recorded by fairness_officer_monthly; a
    change makes the next incremental run recompute every month, int_fairness_months_touched). -#}
{% macro fairness_config_fingerprint() -%}
    md5(coalesce((select string_agg(t::text, '|' order by t::text) from {{ ref('fairness_thresholds') }} as t), '')
        || '#' || coalesce((select string_agg(w::text, '|' order by w::text) from {{ ref('procedure_complexity') }} as w), ''))
{%- endmacro %}

{#- fairness_officer_monthly's post-hook: record the configuration it was built with (in the build
    schema, in the model's transaction, so a failed run records nothing). -#}
{% macro record_fairness_config() -%}
    create table if not exists {{ build_schema() }}.fairness_config_fingerprint (
        recorded_id bigserial primary key, fingerprint text not null, invocation_id text not null,
        recorded_at timestamptz not null default now());
    insert into {{ build_schema() }}.fairness_config_fingerprint (fingerprint, invocation_id)
    select {{ fairness_config_fingerprint() }}, '{{ invocation_id }}'
    where {{ fairness_config_fingerprint() }} is distinct from
          (select fingerprint from {{ build_schema() }}.fairness_config_fingerprint order by recorded_id desc limit 1)
{%- endmacro %}
