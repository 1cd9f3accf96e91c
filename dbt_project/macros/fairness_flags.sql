{#- The gaming flags of fct_case_flags (docs/domain/fairness-and-early-warning.md), in the order
    the fairness marts list their columns, and the event each flag is attributed to: the officer,
    agency and local date columns `<who>_officer_id`, `<who>_agency_code`, `<who>_date` of
    fct_case_flags. One list for fairness_officer_monthly and fairness_officer_daily, so the daily
    mart's days keep adding up to the monthly mart's counts. -#}
{% macro fairness_flags() -%}
    {{ return(['return_near_deadline', 'withdrawal_near_deadline', 'extension_after_deadline',
               'repeated_return', 'late_recorded']) }}
{%- endmacro %}

{% macro fairness_flag_attribution() -%}
    {{ return({'return_near_deadline': 'return', 'withdrawal_near_deadline': 'withdrawal',
               'extension_after_deadline': 'extension', 'repeated_return': 'repeated_return',
               'late_recorded': 'late_recorded'}) }}
{%- endmacro %}

{#- Each flag's `<flag>_count` (cases flagged) and `<flag>_checked` (cases it was checked on),
    aggregated over rows (flag, flagged): the select list of a `group by` over the unpivoted
    flags, without a trailing comma. -#}
{% macro fairness_flag_count_columns(flags) -%}
    {%- for flag in flags %}
        count(*) filter (where flag = '{{ flag }}' and flagged)::int as {{ flag }}_count,
        count(*) filter (where flag = '{{ flag }}')::int as {{ flag }}_checked{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
