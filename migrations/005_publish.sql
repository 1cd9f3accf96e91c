-- Publication history (publish/): what the nightly run published, when, from which build.
--
-- dbt builds the marts into a build schema; after the marts gate passes, `publish` copies them
-- into schema marts (what BI reads) in one transaction and appends here. Append-only: no role
-- may update, delete or truncate these tables (privileges revoked, and a trigger refuses it even
-- for their owner), so "what was published on date X" stays answerable after later events
-- changed the figures. Written by motcua_transform (the publishing role), read by auditors.
--
-- Values are stored as changes: a publication records a (table, grain, measure) value only when
-- it differs from the value that key had in the previous publication (or the key appeared, or
-- disappeared: is_removed). The state of any publication is the latest row per key up to it,
-- which `audit.published_kpi_values_at(publication_id)` returns. Republishing identical figures
-- records a publication row and no value rows, hence no revision.

do $$
begin
  if not exists (select from pg_namespace where nspname = 'audit') then
    execute 'create schema audit authorization motcua_owner';
  end if;
  if (select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'audit') = current_user then
    -- dbt builds its audit views (lineage, KPI membership) here as motcua_transform.
    execute 'grant usage, create on schema audit to motcua_transform';
    execute 'grant usage on schema audit to motcua_auditor';
  else
    -- Created earlier by dbt: its owner could drop the history tables, and motcua_owner (not a
    -- member of that role) cannot take the schema over. Stop with what a DBA should run.
    raise exception 'schema audit is owned by %, not %: run "alter schema audit owner to %" as a superuser, then migrate again',
      (select pg_get_userbyid(nspowner) from pg_namespace where nspname = 'audit'), current_user, current_user;
  end if;
end $$;

create table if not exists audit.publications (
    publication_id      bigint      generated always as identity primary key,
    published_at        timestamptz not null default clock_timestamp(),
    published_by        text        not null default current_user,
    run_id              text        not null,      -- Airflow run id (or "manual:<user>")
    local_date          date        not null,      -- the night's local date (Asia/Ho_Chi_Minh)
    data_interval_start timestamptz not null,
    data_interval_end   timestamptz not null,
    git_commit          text,                      -- code that computed the figures (+dirty)
    dbt_invocation_id   text,                      -- run_results.json metadata.invocation_id
    build_schema        text        not null,      -- where dbt built the figures
    swapped             boolean     not null,      -- false: history only, a newer night is published
    gate_summary        jsonb       not null default '{}'::jsonb,   -- GX verdicts per layer
    tables              jsonb       not null default '{}'::jsonb    -- per table: rows, value changes
);
create index if not exists publications_local_date_idx on audit.publications (local_date);
create index if not exists publications_published_at_idx on audit.publications (published_at);

create table if not exists audit.published_kpi_values (
    publication_id bigint  not null references audit.publications (publication_id),
    table_name     text    not null,               -- e.g. kpi_officer_daily
    grain          jsonb   not null,               -- the row's key, e.g. {"officer_id": ..., "agency_code": ..., "activity_date": ...}
    measure        text    not null,               -- column name, e.g. on_time_rate
    value          numeric,                        -- booleans (met flags) as 1/0; NULL rates stay NULL
    is_removed     boolean not null default false, -- the key is no longer in the table
    primary key (table_name, grain, measure, publication_id)
);
create index if not exists published_kpi_values_publication_idx on audit.published_kpi_values (publication_id);

-- Append-only, even for the owner (privileges alone do not bind a table's owner).
create or replace function audit.refuse_history_change() returns trigger language plpgsql as $$
begin
  raise exception 'audit.% is append-only: % refused', tg_table_name, lower(tg_op)
    using errcode = 'insufficient_privilege';
end $$;
do $$
declare t text;
begin
  foreach t in array array['publications', 'published_kpi_values'] loop
    execute format('create or replace trigger %I before update or delete on audit.%I '
                   'for each row execute function audit.refuse_history_change()', t || '_append_only', t);
    execute format('create or replace trigger %I before truncate on audit.%I '
                   'for each statement execute function audit.refuse_history_change()', t || '_no_truncate', t);
  end loop;
end $$;

-- State (every key's value) as of one publication: the latest change per key up to it.
create or replace function audit.published_kpi_values_at(p_publication_id bigint)
returns table (publication_id bigint, table_name text, grain jsonb, measure text, value numeric,
               changed_in_publication_id bigint)
language sql stable as $$
  select p_publication_id, s.table_name, s.grain, s.measure, s.value, s.publication_id
    from (select distinct on (v.table_name, v.grain, v.measure) v.*
            from audit.published_kpi_values v
           where v.publication_id <= p_publication_id
           order by v.table_name, v.grain, v.measure, v.publication_id desc) s
   where not s.is_removed
$$;

-- What BI saw at an instant: the state of the last publication swapped into marts by then.
create or replace function audit.published_kpi_values_as_of(p_at timestamptz)
returns table (publication_id bigint, table_name text, grain jsonb, measure text, value numeric,
               changed_in_publication_id bigint)
language sql stable as $$
  select * from audit.published_kpi_values_at(
    (select max(p.publication_id) from audit.publications p where p.swapped and p.published_at <= p_at))
$$;

-- Revisions: a value that differs from the one the same key had in the previous publication
-- that recorded it (only changes are stored, so every row with a predecessor is a revision).
create or replace view audit.kpi_value_revisions as
with chained as (
  select v.*,
         lag(v.publication_id) over w as previous_publication_id,
         lag(v.value)          over w as previous_value,
         lag(v.is_removed)     over w as previously_removed
    from audit.published_kpi_values v
  window w as (partition by v.table_name, v.grain, v.measure order by v.publication_id)
)
select c.table_name, c.grain, c.measure,
       c.previous_publication_id, pp.local_date as previous_local_date,
       case when c.previously_removed then null else c.previous_value end as previous_value,
       c.publication_id, p.local_date, p.published_at, p.run_id,
       case when c.is_removed then null else c.value end as value,
       case when c.is_removed then 'removed'
            when c.previously_removed then 'reappeared' else 'changed' end as change
  from chained c
  join audit.publications p on p.publication_id = c.publication_id
  join audit.publications pp on pp.publication_id = c.previous_publication_id
 where c.previous_publication_id is not null;

revoke all on audit.publications, audit.published_kpi_values, audit.kpi_value_revisions from public;
revoke update, delete, truncate on audit.publications, audit.published_kpi_values from motcua_owner;
-- The foreign key's check locks the referenced row (FOR KEY SHARE), which needs UPDATE on one
-- column of audit.publications for its owner; the trigger above still refuses any update.
grant update (publication_id) on audit.publications to motcua_owner;
grant select, insert on audit.publications, audit.published_kpi_values to motcua_transform;
grant select on audit.publications, audit.published_kpi_values, audit.kpi_value_revisions
    to motcua_transform, motcua_auditor;
revoke all on function audit.published_kpi_values_at(bigint), audit.published_kpi_values_as_of(timestamptz),
    audit.refuse_history_change() from public;
grant execute on function audit.published_kpi_values_at(bigint), audit.published_kpi_values_as_of(timestamptz)
    to motcua_transform, motcua_auditor;
