-- The quality gate runs as motcua_gate: it reads what it validates (raw, staging, the marts build;
-- dbt grants the relations it builds, dbt_project.yml) and writes only quality.*. The transform
-- role, which builds the figures, can no longer write a verdict on them.
do $$ begin
  execute format('grant connect on database %I to motcua_gate', current_database());
end $$;
grant usage on schema raw to motcua_gate;
grant select on all tables in schema raw to motcua_gate;
alter default privileges in schema raw grant select on tables to motcua_gate;

-- Which dbt build a verdict judged (lineage.dbt_build_runs): publish only accepts a passing
-- verdict, with expectations evaluated, on the very build it copies.
alter table quality.gate_runs add column if not exists dbt_invocation_id text;

grant usage on schema quality to motcua_gate;
grant select, insert on quality.gate_runs, quality.validation_results to motcua_gate;
grant select on quality.latest_gate_runs to motcua_gate;
revoke insert, update, delete, truncate on quality.gate_runs, quality.validation_results from motcua_transform;
