{#- Schemas are exactly staging / intermediate / marts / audit (no target prefix): BI tools and
    auditors address them by these names. A model without a custom schema lands in the target's. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
