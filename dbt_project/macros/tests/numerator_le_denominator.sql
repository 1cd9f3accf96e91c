{#- A rate's numerator never exceeds its denominator, and the rate is NULL exactly when the
    denominator is zero (optional `rate` column, compared with the exact quotient rounded to the
    stored scale: 4 decimals). -#}
{% test numerator_le_denominator(model, numerator, denominator, rate=none, scale=4) %}
select *
from {{ model }}
where ({{ numerator }}) > ({{ denominator }})
   or ({{ numerator }}) < 0
{%- if rate is not none %}
   or (({{ denominator }}) = 0) <> ({{ rate }} is null)
   or {{ rate }} <> round(({{ numerator }})::numeric / nullif({{ denominator }}, 0), {{ scale }})
{%- endif %}
{% endtest %}
