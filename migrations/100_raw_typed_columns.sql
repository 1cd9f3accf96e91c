-- The raw tables' typed columns are written by the loader instead of generated from the payload,
-- and each event keeps the message bytes exactly as the producer sent them.
--
-- Why: PostgreSQL re-reading seven fields out of every jsonb payload (and casting them) cost about
-- a third of the COPY rate of raw.case_events; the loader already holds those values, decoded
-- from the same bytes by the contract's validator. The loader sends them in the same COPY row as
-- the payload, so a row's columns and its payload still come from one message in one statement.
-- A row written by anything else with the typed columns left out (a repair by hand, a test
-- fixture) gets them derived from its payload by the trigger below, exactly as the former
-- generated expressions did, and so does a row whose payload is updated in place; the insert
-- trigger does not fire for the loader's rows (event_id given).
--
-- DROP EXPRESSION keeps every stored value (no rewrite of existing rows); kafka_timestamp stays
-- generated (one division of a number the loader writes anyway).
alter table raw.case_events
    alter column event_id drop expression if exists,
    alter column event_type drop expression if exists,
    alter column schema_version drop expression if exists,
    alter column case_id drop expression if exists,
    alter column agency_code drop expression if exists,
    alter column officer_id drop expression if exists,
    alter column occurred_at drop expression if exists;
alter table raw.staff_events
    alter column event_id drop expression if exists,
    alter column event_type drop expression if exists,
    alter column schema_version drop expression if exists,
    alter column agency_code drop expression if exists,
    alter column officer_id drop expression if exists,
    alter column case_id drop expression if exists,
    alter column occurred_at drop expression if exists;

-- The Kafka message value, byte for byte: content_hash is sha256(raw_value). payload (jsonb) is
-- the same document parsed once, for dbt; jsonb normalises spacing, key order and duplicate keys,
-- so only these bytes show what the producer actually sent. NULL for rows loaded before this
-- migration (their bytes were not kept; their content_hash is still the hash of those bytes).
alter table raw.case_events add column if not exists raw_value bytea;
alter table raw.staff_events add column if not exists raw_value bytea;
comment on column raw.case_events.raw_value is
    'the Kafka message value as sent (content_hash = sha256(raw_value)); NULL for rows loaded before migration 100';
comment on column raw.staff_events.raw_value is
    'the Kafka message value as sent (content_hash = sha256(raw_value)); NULL for rows loaded before migration 100';

-- The former generated expressions, for rows inserted without their typed columns.
create or replace function raw.case_event_columns() returns trigger
    language plpgsql set search_path = pg_catalog, raw as $$
begin
    new.event_id       := (new.payload->>'event_id')::uuid;
    new.event_type     := new.payload->>'event_type';
    new.schema_version := (new.payload->>'schema_version')::numeric::smallint;
    new.case_id        := new.payload->>'case_id';
    new.agency_code    := new.payload->>'agency_code';
    new.officer_id     := new.payload->>'officer_id';
    new.occurred_at    := raw.instant(new.payload->>'occurred_at');
    return new;
end $$;

create or replace function raw.staff_event_columns() returns trigger
    language plpgsql set search_path = pg_catalog, raw as $$
begin
    new.event_id       := (new.payload->>'event_id')::uuid;
    new.event_type     := new.payload->>'event_type';
    new.schema_version := (new.payload->>'schema_version')::numeric::smallint;
    new.agency_code    := new.payload->>'agency_code';
    new.officer_id     := new.payload->>'officer_id';
    new.case_id        := new.payload->'data'->>'case_id';
    new.occurred_at    := raw.instant(new.payload->>'occurred_at');
    return new;
end $$;

drop trigger if exists case_event_columns on raw.case_events;
create trigger case_event_columns before insert on raw.case_events
    for each row when (new.event_id is null) execute function raw.case_event_columns();
drop trigger if exists staff_event_columns on raw.staff_events;
create trigger staff_event_columns before insert on raw.staff_events
    for each row when (new.event_id is null) execute function raw.staff_event_columns();
-- A payload changed in place (a repair by the owner: the ingest role cannot update) carries its
-- typed columns along, as generated columns did.
drop trigger if exists case_event_columns_on_update on raw.case_events;
create trigger case_event_columns_on_update before update of payload on raw.case_events
    for each row when (new.payload is distinct from old.payload) execute function raw.case_event_columns();
drop trigger if exists staff_event_columns_on_update on raw.staff_events;
create trigger staff_event_columns_on_update before update of payload on raw.staff_events
    for each row when (new.payload is distinct from old.payload) execute function raw.staff_event_columns();
revoke all on function raw.case_event_columns(), raw.staff_event_columns() from public;

-- Indexes: unchanged, each one read by a query of the pipeline (docs/raw-layer.md):
--   case_events primary key (event_id)        the loader's duplicate probe; one row per event_id
--   unique (kafka_topic, kafka_partition, kafka_offset)   each Kafka offset stored once (audit)
--   case_events_case_id_idx                   incremental staging reads the touched cases' events
--   case_events_ingested_at_brin              the nightly "since the watermark" scans
--   staff_events_officer_idx / _case_idx      lookups per officer / per exempted case (a small topic)
