{#- Every dbt command that builds models is recorded in lineage.dbt_build_runs (migration
    020): a row when it starts, closed when it ends. A build killed half-way (tables replaced,
    others not) stays open, and `publish` refuses to copy its tables; the marts gate records the
    invocation it judged, and publish only copies the build that verdict was about. -#}

{% macro build_run_recorded() %}
  {{ return(execute and flags.WHICH in ('build', 'run', 'seed', 'snapshot')) }}
{% endmacro %}

{% macro record_build_start() %}
  {%- if build_run_recorded() %}
    {%- set marts = [] -%}
    {%- for uid in selected_resources -%}
      {%- set node = graph.nodes.get(uid) -%}
      {%- if node and node.resource_type == 'model' and node.schema == build_schema() -%}
        {%- do marts.append(uid) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- set full = marts and (flags.FULL_REFRESH or built_relation('fct_cases') is none) %}
    insert into lineage.dbt_build_runs (invocation_id, command, build_schema, full_build, builds_marts)
    values ('{{ invocation_id }}', '{{ flags.WHICH }}', '{{ build_schema() }}',
            {{ 'true' if full else 'false' }}, {{ 'true' if marts else 'false' }})
    on conflict (invocation_id) do nothing
  {%- else %}
    select 1  -- docs, test, compile...: nothing built
  {%- endif %}
{% endmacro %}

{#- Last of the on-run-end hooks: "finished" means the watermark and the publish queue are
    recorded too. Any node that errored, failed or was skipped makes the build an error. -#}
{% macro record_build_end(results) %}
  {%- if build_run_recorded() %}
    {%- set bad = [] -%}
    {%- for r in results -%}
      {%- if r.status in ('error', 'fail', 'skipped') -%}{%- do bad.append(r.node.unique_id) -%}{%- endif -%}
    {%- endfor %}
    update lineage.dbt_build_runs
       set finished_at = clock_timestamp(), status = '{{ 'error' if bad else 'success' }}', errors = {{ bad | length }}
     where invocation_id = '{{ invocation_id }}'
  {%- else %}
    select 1
  {%- endif %}
{% endmacro %}
