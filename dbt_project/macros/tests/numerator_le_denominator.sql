{#- A rate's numerator never exceeds its denominator, and the rate is NULL exactly when the
    denominator is zero (optional `rate` column, compared with the exact quotient). -#}
{% test numerator_le_denominator(model, numerator, denominator, rate=none) %}
select *
from {{ model }}
where ({{ numerator }}) > ({{ denominator }})
   or ({{ numerator }}) < 0
{%- if rate is not none %}
   or (({{ denominator }}) = 0) <> ({{ rate }} is null)
   or {{ rate }} <> ({{ numerator }})::numeric / nullif({{ denominator }}, 0)
{%- endif %}
{% endtest %}
