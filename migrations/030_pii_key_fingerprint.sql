-- The fingerprint of the key that hashes applicants' personal data (MOTCUA_PII_HMAC_KEY), never
-- the key: HMAC-SHA256 of a fixed label under the key. Recorded by the first dbt run; every
-- later run must present a key with the same fingerprint, or it stops before building anything
-- (hashes made with two keys would split one applicant in two). Changing the key is a deliberate
-- act: `motcua pii rotate-key`, as motcua_owner, records the new fingerprint and the rotation.
create schema if not exists pii authorization motcua_owner;
revoke all on schema pii from public;
grant usage on schema pii to motcua_transform, motcua_auditor;

create table if not exists pii.key_fingerprint (
    singleton    boolean     primary key default true check (singleton),
    fingerprint  text        not null check (fingerprint ~ '^[0-9a-f]{64}$'),
    recorded_at  timestamptz not null default now(),
    recorded_by  text        not null default session_user
);

create table if not exists pii.key_rotations (
    rotated_at       timestamptz not null default now(),
    rotated_by       text        not null default session_user,
    old_fingerprint  text,
    new_fingerprint  text        not null
);

create or replace function pii.key_fingerprint(key text) returns text
language sql immutable strict set search_path = pg_catalog, public as
$$ select encode(hmac('motcua-pii-hmac-key-fingerprint-v1', key, 'sha256'), 'hex') $$;

-- Called by dbt (on-run-start) with the key as a bind parameter: records the fingerprint at
-- first use, then refuses any other key. Invoker's rights: motcua_transform may insert the first
-- fingerprint, never change it.
create or replace function pii.verify_key(key text) returns text
language plpgsql set search_path = pg_catalog, public as $$
declare
    given  text := pii.key_fingerprint(key);
    stored text;
begin
    insert into pii.key_fingerprint (fingerprint) values (given) on conflict (singleton) do nothing;
    select fingerprint into stored from pii.key_fingerprint;
    if stored is distinct from given then
        raise exception using
            message = format('MOTCUA_PII_HMAC_KEY is not the key this database''s applicant hashes were made with '
                             '(fingerprint %s…, recorded %s…): set the original key, or change it on purpose '
                             'with "motcua pii rotate-key"', left(given, 12), left(stored, 12));
    end if;
    return given;
end $$;

revoke all on all tables in schema pii from public;
revoke all on function pii.key_fingerprint(text), pii.verify_key(text) from public;
grant select, insert on pii.key_fingerprint to motcua_transform;
grant execute on function pii.key_fingerprint(text), pii.verify_key(text) to motcua_transform;
grant select on pii.key_fingerprint, pii.key_rotations to motcua_auditor;
