-- Raw layer: restricted. Holds verbatim payloads (with applicants' personal data); only the
-- ingest role writes here and only the transform and auditor roles read it.
create schema if not exists raw;

-- Parses an RFC 3339 instant. Declared immutable although a text->timestamptz cast depends on
-- the session time zone: the contract requires an explicit offset, checked before loading, and
-- an instant with an offset means the same whatever the session's zone.
create or replace function raw.instant(text) returns timestamptz
    language sql immutable parallel safe strict
    as $$ select $1::timestamptz $$;

-- One row per distinct event_id: the first delivery that carried it. The loader COPYs only the
-- payload and its Kafka coordinates; PostgreSQL derives the typed columns from the payload, so
-- they can never disagree with it.
create table if not exists raw.case_events (
    payload         jsonb       not null,
    event_id        uuid        generated always as ((payload->>'event_id')::uuid) stored primary key,
    event_type      text        generated always as (payload->>'event_type') stored not null,
    schema_version  smallint    generated always as ((payload->>'schema_version')::numeric::smallint) stored not null,
    case_id         text        generated always as (payload->>'case_id') stored not null,
    agency_code     text        generated always as (payload->>'agency_code') stored not null,
    officer_id      text        generated always as (payload->>'officer_id') stored,
    occurred_at     timestamptz generated always as (raw.instant(payload->>'occurred_at')) stored not null,
    content_hash    bytea       not null,          -- sha256 of the message value bytes
    kafka_topic     text        not null,
    kafka_partition integer     not null,
    kafka_offset    bigint      not null,
    kafka_timestamp_ms bigint,                     -- the record's timestamp as Kafka gives it
    kafka_timestamp timestamptz generated always as (to_timestamp(kafka_timestamp_ms / 1000.0)) stored,
    ingested_at     timestamptz not null default now(),
    unique (kafka_topic, kafka_partition, kafka_offset)
);
create index if not exists case_events_case_id_idx on raw.case_events (case_id);
-- Rows arrive in ingested_at order: a BRIN index serves the nightly "since the watermark" scans
-- at a fraction of a b-tree's insert cost.
create index if not exists case_events_ingested_at_brin on raw.case_events using brin (ingested_at);

-- Later deliveries of an event_id already loaded, with the same content: kept for the audit
-- trail and for reconciliation (produced = loaded + redeliveries + quarantined).
create table if not exists raw.redeliveries (
    event_id        uuid        not null,
    content_hash    bytea       not null,
    kafka_topic     text        not null,
    kafka_partition integer     not null,
    kafka_offset    bigint      not null,
    kafka_timestamp timestamptz,
    ingested_at     timestamptz not null default now(),
    primary key (kafka_topic, kafka_partition, kafka_offset)
);

-- Everything that could not be loaded, with why and where it came from.
create table if not exists raw.quarantine (
    kafka_topic     text        not null,
    kafka_partition integer     not null,
    kafka_offset    bigint      not null,
    kafka_timestamp timestamptz,
    kafka_key       bytea,
    reason          text        not null,          -- a class from ingestion.contract.reasons
    error           text        not null,
    raw_value       bytea,                         -- the original bytes, untouched
    event_id        text,                          -- when it could be read
    quarantined_at  timestamptz not null default now(),
    primary key (kafka_topic, kafka_partition, kafka_offset)
);
create index if not exists quarantine_reason_idx on raw.quarantine (reason);

-- The consumed position per partition, written in the same transaction as the rows it covers.
-- next_offset is the offset of the next message to read; first_offset where consumption began.
-- The check makes every offset in between accounted for exactly once.
create table if not exists raw.consumer_positions (
    consumer_group  text        not null,
    kafka_topic     text        not null,
    kafka_partition integer     not null,
    first_offset    bigint      not null,
    next_offset     bigint      not null,
    loaded          bigint      not null default 0,
    redelivered     bigint      not null default 0,
    quarantined     bigint      not null default 0,
    skipped         bigint      not null default 0,    -- offsets holding no record (transaction markers, retention)
    updated_at      timestamptz not null default now(),
    primary key (consumer_group, kafka_topic, kafka_partition),
    check (next_offset - first_offset = loaded + redelivered + quarantined + skipped)
);
