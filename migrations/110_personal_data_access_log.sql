-- Who saw applicants' personal data through `motcua audit trace --include-personal-data`, when,
-- and what: the traced cell, the cases and events exported and where the files went. Beside the
-- personal-data key's records (schema pii, owned by motcua_owner: the audit schema may already be
-- sealed to motcua_history). Written (insert only) and read by motcua_auditor; append-only (a
-- trigger refuses update, delete and truncate even for the owner), so an auditor cannot erase
-- the record of their own access.
create table if not exists pii.personal_data_access (
    access_id        bigint      generated always as identity primary key,
    accessed_at      timestamptz not null default clock_timestamp(),
    accessed_by      text        not null default session_user,
    os_user          text,                        -- the operating-system account that ran the command
    purpose          text        not null,        -- e.g. 'audit trace'
    table_name       text        not null,
    grain            jsonb       not null,
    measure          text        not null,
    publication_id   bigint,
    case_ids         text[]      not null,
    event_count      integer     not null,
    output_dir       text
);
create index if not exists personal_data_access_at_idx on pii.personal_data_access (accessed_at);

-- who and when are the database's, never the writer's claim
create or replace function pii.stamp_personal_data_access() returns trigger
language plpgsql set search_path = pg_catalog as $$
begin
    new.accessed_by := session_user;
    new.accessed_at := clock_timestamp();
    return new;
end $$;

create or replace function pii.refuse_access_log_change() returns trigger
language plpgsql set search_path = pg_catalog as $$
begin
    raise exception 'pii.personal_data_access is append-only: % refused', lower(tg_op)
        using errcode = 'insufficient_privilege';
end $$;

create or replace trigger personal_data_access_stamp before insert on pii.personal_data_access
    for each row execute function pii.stamp_personal_data_access();
create or replace trigger personal_data_access_append_only before update or delete on pii.personal_data_access
    for each row execute function pii.refuse_access_log_change();
create or replace trigger personal_data_access_no_truncate before truncate on pii.personal_data_access
    for each statement execute function pii.refuse_access_log_change();

revoke all on pii.personal_data_access from public;
revoke all on function pii.stamp_personal_data_access(), pii.refuse_access_log_change() from public;
grant select, insert on pii.personal_data_access to motcua_auditor;
