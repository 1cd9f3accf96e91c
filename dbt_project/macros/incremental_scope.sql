{#- The nightly run recomputes only the cases touched since the last run (see int_cases_affected).
    `incremental_scope_active()` is true when fct_cases already exists and no full refresh was
    asked for: exactly when fct_cases itself runs incrementally. Always rebuild the chain together
    (`dbt build`, or `--select +kpi_agency_monthly`), never one model with --full-refresh. -#}
{% macro incremental_scope_active() %}
  {%- if not execute or flags.FULL_REFRESH -%}{{ return(false) }}{%- endif -%}
  {%- set rel = adapter.get_relation(database=target.database, schema='marts', identifier='fct_cases') -%}
  {{ return(rel is not none and rel.is_table) }}
{% endmacro %}

{#- A relation built by this project, looked up without ref() (to read a downstream model's
    previous state without creating a cycle); none when it does not exist yet. -#}
{% macro existing_relation(schema, identifier) %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{% endmacro %}
