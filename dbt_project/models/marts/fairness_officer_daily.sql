{{ config(materialized='view') }}
{#- Per officer, agency and local day (docs/domain/fairness-and-early-warning.md, "daily where
    cheap"): each gaming flag's count, the cases it was checked on and the rate, attributed like
    fairness_officer_monthly (the officer, agency and local date of the event that speaks for the
    case in fct_case_flags), so the days of a month add up to its monthly counts.
    A view: one pass over fct_case_flags (each case's five flags unpivoted in a lateral), nothing
    stored in the build; publishing copies it whole into marts beside the monthly mart.
    No group median or interval here: a day holds a handful of checked events per officer, far
    below min_cases; the comparison with the group is the monthly mart's. Shown, never scored. -#}
{%- set flags = fairness_flags() %}
{%- set attribution = fairness_flag_attribution() %}

with

flag_rows as (

    select checked.flag, checked.officer_id, checked.agency_code, checked.flag_date, checked.flagged
    from {{ ref('fct_case_flags') }} as cases
    cross join lateral (values
        {%- for flag in flags %}
        {%- set who = attribution[flag] %}
        ('{{ flag }}', cases.{{ who }}_officer_id, cases.{{ who }}_agency_code, cases.{{ who }}_date, cases.{{ flag }})
        {%- if not loop.last %},{% endif %}
        {%- endfor %}
    ) as checked(flag, officer_id, agency_code, flag_date, flagged)
    where checked.flagged is not null and checked.officer_id is not null

),

counts as (

    select
        officer_id,
        agency_code,
        flag_date,
        {{- fairness_flag_count_columns(flags) }}
    from flag_rows
    group by 1, 2, 3

)

select
    officer_id,
    agency_code,
    flag_date,
    date_trunc('month', flag_date)::date as month,
    {%- for flag in flags %}
    {{ flag }}_count,
    {{ flag }}_checked,
    ({{ flag }}_count::numeric / nullif({{ flag }}_checked, 0))::numeric(7,4) as {{ flag }}_rate,
    {%- endfor %}
    ({% for flag in flags %}{{ flag }}_count{% if not loop.last %} + {% endif %}{% endfor %})::int as flag_count
from counts
