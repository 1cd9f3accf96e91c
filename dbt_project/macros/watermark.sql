{#- Incremental watermark: the raw ingested_at up to which every incremental model is known to be
    up to date. Written at the end of a run only if the whole chain succeeded and no model of the
    run failed or was skipped; a run that failed half-way (fct_cases replaced, kpi_case_membership
    not, or fairness_officer_monthly and eval_case_membership, which read the same affected cases,
    not) leaves it, so the next run recomputes the same cases again (every step is an idempotent
    delete+insert). -#}

{% macro watermark_relation() -%}lineage.dbt_incremental_watermark{%- endmacro %}

{% macro record_incremental_watermark(results) %}
  {%- if not execute -%}{{ return('select 1') }}{%- endif -%}
  {%- set chain = ['int_ingestion_watermark', 'int_cases_affected', 'int_case_events_scoped', 'fct_cases',
                   'kpi_case_membership', 'kpi_officer_daily', 'kpi_officer_monthly_measures',
                   'kpi_agency_monthly_measures', 'kpi_officer_monthly', 'kpi_agency_monthly'] -%}
  {%- set succeeded = [] -%}
  {%- set unfinished = [] -%}
  {%- for r in results -%}
    {%- if r.node.resource_type == 'model' and r.node.name in chain and r.status == 'success' -%}
      {%- do succeeded.append(r.node.name) -%}
    {%- endif -%}
    {%- if r.node.resource_type == 'model' and r.status in ('error', 'skipped') -%}
      {%- do unfinished.append(r.node.name) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- if succeeded | length == chain | length and unfinished | length == 0 %}
    {#- The table is created and granted by migrations/112 (append-only for this role). One this
        role created before that migration is handed over: the migrations' role may read it, so
        `motcua migrate --reapply` takes it over with its rows. #}
    do $$ begin
      if (select pg_get_userbyid(relowner) from pg_class
           where oid = to_regclass('{{ watermark_relation() }}')) = current_user then
        grant select on {{ watermark_relation() }} to motcua_owner;
      end if;
    end $$;
    insert into {{ watermark_relation() }} (ingested_upto, as_of, invocation_id)
    select ingested_upto, as_of, '{{ invocation_id }}' from intermediate.int_ingestion_watermark;
    {{ publish_queue_sql() }}
  {%- else %}
    select 1  -- the incremental chain did not run completely: the watermark stays where it was
  {%- endif %}
{% endmacro %}

{#- The publish queue: which cases this build recomputed, for `python -m publish` to copy only
    what changed since the last publication (a NULL case_id: everything was rebuilt). Filled in
    the same statement batch as the watermark, so it holds exactly the completed chains; publish
    deletes the entries it has copied into marts. -#}
{% macro publish_queue_relation() -%}{{ build_schema() }}.publish_queue{%- endmacro %}

{% macro create_publish_queue_sql() %}
    create table if not exists {{ publish_queue_relation() }} (
        invocation_id text not null, queued_at timestamptz not null default now(), case_id text);
    create index if not exists publish_queue_case_id_idx on {{ publish_queue_relation() }} (case_id);
    grant select on {{ publish_queue_relation() }} to motcua_auditor;
{% endmacro %}

{#- on-run-start: a run that rebuilds everything queues "everything" before it touches a table, so
    a full refresh that fails half-way (tables replaced, the chain incomplete, nothing queued at
    the end) still makes the next publication copy everything. -#}
{% macro queue_full_build_at_start() %}
  {%- if execute and (flags.FULL_REFRESH or built_relation('fct_cases') is none) %}
    create schema if not exists {{ build_schema() }};
    {{ create_publish_queue_sql() }}
    insert into {{ publish_queue_relation() }} (invocation_id, case_id) values ('{{ invocation_id }}', null);
  {%- else %}
    select 1  -- an incremental run queues its cases when its chain completes (on-run-end)
  {%- endif %}
{% endmacro %}

{% macro publish_queue_sql() %}
    {{ create_publish_queue_sql() }}
    insert into {{ publish_queue_relation() }} (invocation_id, case_id)
    select '{{ invocation_id }}', null from intermediate.int_ingestion_watermark where is_full_build
    union all
    select '{{ invocation_id }}', affected.case_id from intermediate.int_cases_affected as affected
     where not (select is_full_build from intermediate.int_ingestion_watermark);
{% endmacro %}
