{#- Schemas are exactly staging / intermediate / marts / lineage (no target prefix): BI tools and
    auditors address them by these names. A model without a custom schema lands in the target's.
    With the var docs_published_schemas (`motcua docs build`), a model built into the build schema
    is named where `publish` puts it (marts, or lineage for the memberships), so the docs and
    their catalog describe the relations BI and auditors read. Never set it for a build. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set schema = target.schema if custom_schema_name is none else custom_schema_name | trim -%}
    {%- if var('docs_published_schemas', false) and schema == env_var('MOTCUA_BUILD_SCHEMA', 'marts_build') -%}
        {%- set schema = 'lineage' if node.name in ('kpi_case_membership', 'eval_case_membership', 'eval_assessment_membership') else 'marts' -%}
    {%- endif -%}
    {{ schema }}
{%- endmacro %}
