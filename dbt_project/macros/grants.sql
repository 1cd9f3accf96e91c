{#- dbt's +grants give SELECT on each relation; readers also need USAGE on the schema. BI reads
    only the published marts (publish fills them) and the KPI catalogue seeds there; the build
    schema, where dbt puts the figures before the gate has judged them, is the auditor's and the
    gate's (motcua_gate validates it) only. -#}
{% macro grant_schema_usage() %}
do $$
declare s record;
begin
  for s in select * from (values ('marts', 'motcua_bi'), ('marts', 'motcua_auditor'),
                                 ('{{ build_schema() }}', 'motcua_auditor'), ('{{ build_schema() }}', 'motcua_gate'),
                                 ('staging', 'motcua_auditor'), ('staging', 'motcua_gate'),
                                 ('intermediate', 'motcua_auditor'),
                                 ('lineage', 'motcua_auditor')) as g(schema_name, role_name)
  loop
    if exists (select from pg_namespace where nspname = s.schema_name) then
      execute format('grant usage on schema %I to %I', s.schema_name, s.role_name);
    end if;
  end loop;
end $$;
{% endmacro %}
