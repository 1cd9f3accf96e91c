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
