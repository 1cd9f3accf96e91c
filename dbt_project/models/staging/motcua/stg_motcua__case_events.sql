{#- One row per event: typed columns, the data{} fields the KPIs need, applicants' personal data
    replaced by keyed HMAC-SHA256 hashes. The verbatim payload and free texts stay in raw. -#}
with

source as (

    select * from {{ source('motcua', 'case_events') }}

),

deduplicated as (

    -- raw.case_events already holds each event_id once (primary key); this keeps staging
    -- correct on any source that does not. Partitioned by case_id so that a filter on case_id
    -- is pushed below the window (incremental runs read only the affected cases' events).
    select
        *,
        row_number() over (
            partition by case_id, event_id
            order by ingested_at, kafka_topic, kafka_partition, kafka_offset
        ) as delivery_rank
    from source

),

pii_key as (

    select key from {{ pii_key_relation() }}

),

renamed as (

    select
        -- ids
        deduplicated.event_id,
        deduplicated.case_id,
        deduplicated.agency_code,
        deduplicated.officer_id,

        -- event
        deduplicated.event_type,
        deduplicated.schema_version,
        deduplicated.payload ->> 'source' as source_system,
        deduplicated.payload -> 'data' ->> 'procedure_code' as procedure_code,
        deduplicated.payload -> 'data' ->> 'procedure_name' as procedure_name,
        deduplicated.payload -> 'data' ->> 'sector_code' as sector_code,
        deduplicated.payload -> 'data' ->> 'channel' as channel,
        (deduplicated.payload -> 'data' ->> 'processing_days')::numeric as processing_days,
        deduplicated.payload -> 'data' ->> 'to_officer_id' as to_officer_id,
        deduplicated.payload -> 'data' ->> 'department_code' as department_code,
        deduplicated.payload -> 'data' ->> 'reason_code' as return_reason_code,
        deduplicated.payload -> 'data' ->> 'outcome' as outcome,
        (deduplicated.payload -> 'data' ->> 'score')::smallint as rating_score,
        deduplicated.payload -> 'data' ->> 'category' as complaint_category,

        -- personal data: keyed hashes only
        {{ pii_hash("deduplicated.payload -> 'data' -> 'applicant' ->> 'id_number'") }} as applicant_id_hash,
        {{ pii_hash("deduplicated.payload -> 'data' -> 'applicant' ->> 'full_name'") }} as applicant_name_hash,
        {{ pii_hash("deduplicated.payload -> 'data' -> 'applicant' ->> 'phone'") }} as applicant_phone_hash,

        -- timestamps (instants; local-time logic happens downstream)
        deduplicated.occurred_at,
        (deduplicated.payload -> 'data' ->> 'due_at')::timestamptz as due_at,
        (deduplicated.payload -> 'data' ->> 'new_due_at')::timestamptz as new_due_at,
        deduplicated.ingested_at,

        -- lineage
        deduplicated.kafka_topic,
        deduplicated.kafka_partition,
        deduplicated.kafka_offset

    from deduplicated
    cross join pii_key
    where deduplicated.delivery_rank = 1

)

select * from renamed
