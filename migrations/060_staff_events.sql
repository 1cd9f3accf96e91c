-- Raw layer of the second topic (motcua.staff-events): the personnel / evaluation system's
-- positions, assessments and exemptions. Same promises as raw.case_events: one row per distinct
-- event_id (the first delivery), the verbatim payload, its Kafka coordinates and the SHA-256 of
-- the message bytes; typed columns derived by PostgreSQL from the payload so they cannot
-- disagree with it. Redeliveries, quarantine and consumer positions share the case topic's
-- tables (they are keyed by kafka_topic).
create table if not exists raw.staff_events (
    payload         jsonb       not null,
    event_id        uuid        generated always as ((payload->>'event_id')::uuid) stored primary key,
    event_type      text        generated always as (payload->>'event_type') stored not null,
    schema_version  smallint    generated always as ((payload->>'schema_version')::numeric::smallint) stored not null,
    agency_code     text        generated always as (payload->>'agency_code') stored not null,
    -- officer.*: the officer the fact is about; case.exemption_*: the deciding officer
    officer_id      text        generated always as (payload->>'officer_id') stored,
    -- case.exemption_*: the case the exemption is about (NULL for officer.* events)
    case_id         text        generated always as (payload->'data'->>'case_id') stored,
    occurred_at     timestamptz generated always as (raw.instant(payload->>'occurred_at')) stored not null,
    content_hash    bytea       not null,
    kafka_topic     text        not null,
    kafka_partition integer     not null,
    kafka_offset    bigint      not null,
    kafka_timestamp_ms bigint,
    kafka_timestamp timestamptz generated always as (to_timestamp(kafka_timestamp_ms / 1000.0)) stored,
    ingested_at     timestamptz not null default now(),
    unique (kafka_topic, kafka_partition, kafka_offset)
);
create index if not exists staff_events_officer_idx on raw.staff_events (officer_id);
create index if not exists staff_events_case_idx on raw.staff_events (case_id) where case_id is not null;
create index if not exists staff_events_ingested_at_brin on raw.staff_events using brin (ingested_at);

grant select, insert on raw.staff_events to motcua_ingest;
grant select on raw.staff_events to motcua_transform, motcua_auditor;
