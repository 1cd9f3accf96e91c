{#- Incremental watermark: the raw ingested_at up to which every incremental model is known to be
    up to date. Written at the end of a run only if the whole chain succeeded; a run that failed
    half-way (fct_cases replaced, kpi_case_membership not) leaves it, so the next run recomputes
    the same cases again (every step is an idempotent delete+insert). -#}

{% macro watermark_relation() -%}audit.dbt_incremental_watermark{%- endmacro %}

{% macro record_incremental_watermark(results) %}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {%- set chain = ['int_ingestion_watermark', 'int_cases_affected', 'int_case_events_scoped', 'fct_cases',
                   'kpi_case_membership', 'kpi_officer_daily', 'kpi_officer_monthly', 'kpi_agency_monthly'] -%}
  {%- set succeeded = [] -%}
  {%- for r in results -%}
    {%- if r.node.resource_type == 'model' and r.node.name in chain and r.status == 'success' -%}
      {%- do succeeded.append(r.node.name) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if succeeded | length == chain | length %}
    create schema if not exists audit;
    create table if not exists {{ watermark_relation() }} (
        ingested_upto timestamptz, as_of timestamptz, recorded_at timestamptz not null default now(),
        invocation_id text not null);
    grant select on {{ watermark_relation() }} to motcua_auditor;
    insert into {{ watermark_relation() }} (ingested_upto, as_of, invocation_id)
    select ingested_upto, as_of, '{{ invocation_id }}' from intermediate.int_ingestion_watermark;
  {%- else %}
    select 1  -- the incremental chain did not run completely: the watermark stays where it was
  {%- endif %}
{% endmacro %}
