-- Schema `lineage`: what dbt derives for auditors (case -> raw events, KPI row -> cases, the
-- incremental watermark) and the record of every dbt build. It used to live in `audit`, next to
-- the publication history; now nobody but the owner of `audit` may create objects there (a
-- function created by the transform role could shadow the history's own functions).
create schema if not exists lineage authorization motcua_owner;
grant usage, create on schema lineage to motcua_transform;
grant usage on schema lineage to motcua_auditor, motcua_gate;

-- One row per dbt command that builds models (dbt_project.yml: on-run-start inserts it,
-- on-run-end closes it). A build killed mid-way keeps finished_at NULL: `publish` refuses its
-- tables, and the marts gate records which build it judged (quality.gate_runs.dbt_invocation_id).
create table if not exists lineage.dbt_build_runs (
    invocation_id   text        primary key,       -- dbt's invocation_id
    command         text        not null,          -- build | run | seed ...
    build_schema    text        not null,          -- where the marts go (MOTCUA_BUILD_SCHEMA)
    full_build      boolean     not null,          -- --full-refresh, or no fct_cases yet: rebuilds everything
    builds_marts    boolean     not null,          -- the selection contains a model of the build schema
    started_at      timestamptz not null default clock_timestamp(),
    finished_at     timestamptz,                   -- NULL: still running, or killed
    status          text        not null default 'running'
                    check (status in ('running', 'success', 'error')),
    errors          integer,                       -- nodes that errored or failed
    started_by      text        not null default session_user
);
create index if not exists dbt_build_runs_schema_started_idx on lineage.dbt_build_runs (build_schema, started_at desc);
revoke all on lineage.dbt_build_runs from public;
grant select, insert on lineage.dbt_build_runs to motcua_transform;
grant update (finished_at, status, errors) on lineage.dbt_build_runs to motcua_transform;
grant select on lineage.dbt_build_runs to motcua_auditor, motcua_gate;

-- The incremental watermark moves with the rest of dbt's bookkeeping (kept, so the next run
-- stays incremental); dbt's on-run-end keeps appending to it as motcua_transform.
do $$
begin
  if to_regclass('audit.dbt_incremental_watermark') is not null
     and to_regclass('lineage.dbt_incremental_watermark') is null then
    create table lineage.dbt_incremental_watermark as select * from audit.dbt_incremental_watermark;
  end if;
  if to_regclass('lineage.dbt_incremental_watermark') is not null then
    grant select, insert on lineage.dbt_incremental_watermark to motcua_transform;
    grant select on lineage.dbt_incremental_watermark to motcua_auditor;
  end if;
end $$;

-- dbt's and publish's objects left in `audit` by earlier versions (rebuilt in `lineage` by the
-- next dbt run and publication; the owner of a schema may drop what others created in it).
do $$
declare r record;
begin
  if (select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'audit') <> current_user then
    return;   -- sealed (services/seal-history.sh): the history's owner keeps the schema clean
  end if;
  for r in select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'audit' and c.relkind in ('r', 'v', 'm', 'p')
              and c.relname in ('case_event_lineage', 'orphan_case_events', 'kpi_case_membership',
                                'case_applicants', 'dbt_incremental_watermark')
  loop
    execute format(case when r.relkind = 'v' then 'drop view audit.%I cascade'
                        when r.relkind = 'm' then 'drop materialized view audit.%I cascade'
                        else 'drop table audit.%I cascade' end, r.relname);
  end loop;
end $$;

-- Only the owner of `audit` creates objects in it.
revoke create on schema audit from public, motcua_transform;
