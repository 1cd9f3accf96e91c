-- Publication history you can trust without trusting the writer.
--
-- * published_by and published_at are set by the database (session_user, clock), never by the
--   inserting role: a publication cannot claim another author or instant.
-- * Every publication is chained when its transaction commits: audit.publication_chain holds,
--   in commit order, sha256(previous hash || digest of the publication row and all its values).
--   Values can only be appended with their publication, in the same transaction.
--   `motcua audit verify-history` recomputes the chain from the rows: a row changed, added or
--   removed behind the triggers' back (even by a superuser) breaks it at that publication.
-- * services/seal-history.sh (a superuser step) hands the schema and these objects to
--   motcua_history, a role no one logs in as: then not even the database owner can disable a
--   trigger or grant itself UPDATE. Until sealed, verify-history reports the history as unsealed.

alter table audit.publications alter column published_by drop default;

create or replace function audit.stamp_publication() returns trigger
language plpgsql set search_path = pg_catalog, pg_temp as $$
begin
  if new.published_by is not null and new.published_by is distinct from session_user::text then
    raise exception 'audit.publications.published_by is set by the database (%), not by the writer (claimed %)',
      session_user, new.published_by using errcode = 'insufficient_privilege';
  end if;
  new.published_by := session_user;
  new.published_at := clock_timestamp();
  return new;
end $$;
create or replace trigger publications_stamp before insert on audit.publications
  for each row execute function audit.stamp_publication();

create table if not exists audit.publication_chain (
    seq             bigint      primary key,           -- commit order, from 1
    publication_id  bigint      not null unique references audit.publications (publication_id),
    prev_hash       bytea       not null,              -- hash of seq - 1 (32 zero bytes for seq 1)
    content_digest  bytea       not null,              -- audit.publication_digest(publication_id)
    hash            bytea       not null,              -- sha256(prev_hash || content_digest)
    chained_at      timestamptz not null default clock_timestamp()
);

-- The digest of one publication: its row and every value recorded with it, in a canonical text
-- form (UTC, ISO dates, quote_nullable so that NULL and 'NULL' differ). publish/… never calls it;
-- motcua audit verify-history recomputes the same expression with its own copy of it.
create or replace function audit.publication_digest(p_publication_id bigint) returns bytea
language sql stable
set search_path = pg_catalog, pg_temp set timezone = 'UTC' set datestyle = 'ISO, YMD' as $$
  select sha256(convert_to(concat_ws('|',
           quote_nullable(p.publication_id::text), quote_nullable(p.published_at::text),
           quote_nullable(p.published_by), quote_nullable(p.run_id), quote_nullable(p.local_date::text),
           quote_nullable(p.data_interval_start::text), quote_nullable(p.data_interval_end::text),
           quote_nullable(p.git_commit), quote_nullable(p.dbt_invocation_id), quote_nullable(p.build_schema),
           quote_nullable(p.swapped::text), quote_nullable(p.gate_summary::text), quote_nullable(p.tables::text),
           encode(v.digest, 'hex')), 'UTF8'))
    from audit.publications p
   cross join lateral (
         select sha256(convert_to(coalesce(string_agg(concat_ws('|',
                  quote_nullable(x.table_name), quote_nullable(x.grain::text), quote_nullable(x.measure),
                  quote_nullable(x.value::text), quote_nullable(x.is_removed::text)),
                  E'\n' order by x.table_name, x.grain::text, x.measure), ''), 'UTF8')) as digest
           from audit.published_kpi_values x where x.publication_id = p.publication_id) v
   where p.publication_id = p_publication_id
$$;

-- Runs at commit (deferred), after the publication's values were inserted.
create or replace function audit.chain_publication() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare
  last_seq bigint;
  last_hash bytea;
  digest bytea := audit.publication_digest(new.publication_id);
begin
  perform pg_advisory_xact_lock(7165945690211);   -- one chain writer at a time: seq is commit order
  select c.seq, c.hash into last_seq, last_hash from audit.publication_chain c order by c.seq desc limit 1;
  last_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
  insert into audit.publication_chain (seq, publication_id, prev_hash, content_digest, hash)
  values (coalesce(last_seq, 0) + 1, new.publication_id, last_hash, digest, sha256(last_hash || digest));
  return null;
end $$;
do $$ begin
  if not exists (select from pg_trigger where tgname = 'publications_chain'
                 and tgrelid = 'audit.publications'::regclass) then
    create constraint trigger publications_chain after insert on audit.publications
      deferrable initially deferred for each row execute function audit.chain_publication();
  end if;
end $$;

-- Values belong to the transaction of their publication: once it is chained, nothing is added.
create or replace function audit.refuse_values_of_chained() returns trigger
language plpgsql security definer set search_path = pg_catalog, pg_temp as $$
declare pid bigint;
begin
  select n.publication_id into pid from new_values n
    join audit.publication_chain c on c.publication_id = n.publication_id limit 1;
  if pid is not null then
    raise exception 'audit.published_kpi_values: publication % is closed (chained); values are recorded with their publication only', pid
      using errcode = 'insufficient_privilege';
  end if;
  return null;
end $$;
create or replace trigger published_kpi_values_closed after insert on audit.published_kpi_values
  referencing new table as new_values for each statement execute function audit.refuse_values_of_chained();

create or replace trigger publication_chain_append_only before update or delete on audit.publication_chain
  for each row execute function audit.refuse_history_change();
create or replace trigger publication_chain_no_truncate before truncate on audit.publication_chain
  for each statement execute function audit.refuse_history_change();

-- History recorded before the chain existed: chained now, in publication order.
do $$
declare r record; last_seq bigint; last_hash bytea; digest bytea;
begin
  for r in select p.publication_id from audit.publications p
            where not exists (select from audit.publication_chain c where c.publication_id = p.publication_id)
            order by p.publication_id
  loop
    select c.seq, c.hash into last_seq, last_hash from audit.publication_chain c order by c.seq desc limit 1;
    last_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
    digest := audit.publication_digest(r.publication_id);
    insert into audit.publication_chain (seq, publication_id, prev_hash, content_digest, hash)
    values (coalesce(last_seq, 0) + 1, r.publication_id, last_hash, digest, sha256(last_hash || digest));
  end loop;
end $$;

revoke all on audit.publication_chain from public;
revoke update, delete, truncate on audit.publication_chain from motcua_owner;
grant select on audit.publication_chain to motcua_transform, motcua_auditor;
revoke all on function audit.stamp_publication(), audit.publication_digest(bigint), audit.chain_publication(),
    audit.refuse_values_of_chained() from public;
grant execute on function audit.publication_digest(bigint) to motcua_auditor;
