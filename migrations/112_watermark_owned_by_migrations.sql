-- The incremental watermark (lineage.dbt_incremental_watermark) is created here, owned by the
-- migrations' role like the rest of dbt's bookkeeping (lineage.dbt_build_runs), and no longer by
-- dbt's on-run-end hook as motcua_transform. A table dbt had created belonged to motcua_transform:
-- re-applying 020 (`motcua migrate --reapply`) then failed with "permission denied for table
-- dbt_incremental_watermark", and the role that builds the figures could rewrite or empty its own
-- watermark. Now motcua_transform may only read and append to it (select, insert), the auditor reads it.
--
-- A table dbt created before this migration is taken over with every row once the owner can read
-- it: the next dbt build grants it select (macros/watermark.sql), then `motcua migrate --reapply`
-- copies it into the owner's table. Until then it stays as it is and dbt keeps using it.
do $$
declare
  held_by text := (select pg_get_userbyid(relowner) from pg_class
                    where oid = to_regclass('lineage.dbt_incremental_watermark'));
begin
  if held_by is not null and held_by <> current_user then
    if not has_table_privilege('lineage.dbt_incremental_watermark', 'select') then
      raise warning 'lineage.dbt_incremental_watermark belongs to %: run a dbt build (it lets % read the table), then "motcua migrate --reapply" to take it over with its rows',
                   held_by, current_user;
      return;
    end if;
    -- The schema's owner may drop what another role created in it; the rows are copied first,
    -- in this migration's transaction.
    create table lineage.dbt_incremental_watermark_takeover (
        ingested_upto timestamptz, as_of timestamptz, recorded_at timestamptz not null default now(),
        invocation_id text not null);
    insert into lineage.dbt_incremental_watermark_takeover (ingested_upto, as_of, recorded_at, invocation_id)
    select ingested_upto, as_of, recorded_at, invocation_id from lineage.dbt_incremental_watermark;
    drop table lineage.dbt_incremental_watermark;
    alter table lineage.dbt_incremental_watermark_takeover rename to dbt_incremental_watermark;
  end if;
end $$;

create table if not exists lineage.dbt_incremental_watermark (
    ingested_upto   timestamptz,                              -- newest raw ingested_at the chain covered
    as_of           timestamptz,                              -- the build's as-of instant
    recorded_at     timestamptz not null default now(),
    invocation_id   text        not null                      -- the dbt build that completed the chain
);

do $$
begin
  -- Only where this role owns the table (a dbt-created one not yet taken over keeps its grants).
  if (select pg_get_userbyid(relowner) from pg_class
       where oid = 'lineage.dbt_incremental_watermark'::regclass) = current_user then
    revoke all on lineage.dbt_incremental_watermark from public, motcua_transform;
    grant select, insert on lineage.dbt_incremental_watermark to motcua_transform;
    grant select on lineage.dbt_incremental_watermark to motcua_auditor;
  end if;
end $$;
