{#- Rows where `expression` is not true fail (dbt_utils.expression_is_true, in-repo).
    As a column test, the expression is applied to the column: `expression: ">= 0"`. -#}
{% test expression_is_true(model, expression, column_name=None) %}
select *
from {{ model }}
where not coalesce(({{ column_name ~ ' ' if column_name else '' }}{{ expression }}), false)
{% endtest %}
