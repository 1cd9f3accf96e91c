{#- Staff events typed and renamed (one per event_id, as raw keeps them): the envelope only; the
    per-type models below read the payload's data. Free text (comments, reasons, names) stays in raw. -#}
with

source as (

    select * from {{ source('staff', 'staff_events') }}

),

renamed as (

    select
        event_id,
        event_type,
        schema_version,
        agency_code,
        officer_id,
        case_id,
        occurred_at,
        kafka_topic,
        kafka_partition,
        kafka_offset,
        kafka_timestamp,
        ingested_at
    from source
    where schema_version = 1

)

select * from renamed
