-- Least privilege. Roles are created by services/postgres.sh (or by the DBA in production):
--   motcua_ingest    writes the raw layer, nothing else
--   motcua_transform reads raw, owns the dbt schemas (staging, intermediate, marts, audit)
--   motcua_bi        reads marts only: no personal data lives there
--   motcua_auditor   reads everything, including the restricted raw layer
revoke all on schema raw from public;
grant usage on schema raw to motcua_ingest, motcua_transform, motcua_auditor;
grant select, insert on raw.case_events, raw.redeliveries, raw.quarantine to motcua_ingest;
grant select, insert, update on raw.consumer_positions to motcua_ingest;
grant select on all tables in schema raw to motcua_transform, motcua_auditor;
alter default privileges in schema raw grant select on tables to motcua_transform, motcua_auditor;

do $$ begin
  execute format('grant create, connect on database %I to motcua_transform', current_database());
  execute format('grant connect on database %I to motcua_ingest, motcua_bi, motcua_auditor', current_database());
end $$;
revoke create on schema public from public;
