{#- The nightly run recomputes only the cases touched since the last run (see int_cases_affected).
    `incremental_scope_active()` is true when fct_cases already exists and no full refresh was
    asked for: exactly when fct_cases itself runs incrementally. Always rebuild the chain together
    (`dbt build`, or `--select +kpi_agency_monthly`), never one model with --full-refresh. -#}
{% macro incremental_scope_active() %}
  {%- if not execute or flags.FULL_REFRESH -%}{{ return(false) }}{%- endif -%}
  {%- set rel = built_relation('fct_cases') -%}
  {{ return(rel is not none and rel.is_table) }}
{% endmacro %}

{#- The schema the marts are built into (MOTCUA_BUILD_SCHEMA via dbt_project.yml), from the graph. -#}
{% macro build_schema() %}
  {{ return(graph.nodes['model.' ~ project_name ~ '.fct_cases'].schema if execute else 'marts_build') }}
{% endmacro %}

{#- The relation a model of this project was built into (wherever its +schema puts it, e.g. the
    build schema), looked up without ref(); none when it does not exist yet. -#}
{% macro built_relation(model_name) %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set node = graph.nodes['model.' ~ project_name ~ '.' ~ model_name] -%}
  {{ return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias)) }}
{% endmacro %}

{#- A relation built by this project, looked up without ref() (to read a downstream model's
    previous state without creating a cycle); none when it does not exist yet. -#}
{% macro existing_relation(schema, identifier) %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {{ return(adapter.get_relation(database=target.database, schema=schema, identifier=identifier)) }}
{% endmacro %}

{#- ANALYZE a table that was never analyzed (created by this run: a first or full build): the
    planner would otherwise assume 200 cases and pick nested loops that never finish at a million
    cases. Incremental runs keep the statistics (autovacuum maintains them), so the nightly cost
    stays independent of the table's size. -#}
{% macro analyze_if_new() -%}
do $$ begin
  if exists (select 1 from pg_stat_user_tables
             where schemaname = '{{ this.schema }}' and relname = '{{ this.identifier }}'
               and last_analyze is null and last_autoanalyze is null) then
    execute 'analyze {{ this.schema }}.{{ this.identifier }}';
  end if;
end $$
{%- endmacro %}
