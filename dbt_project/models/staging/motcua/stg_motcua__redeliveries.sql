{#- Later deliveries of an already loaded event_id (same content): for reconciliation and audit. -#}
with

source as (

    select * from {{ source('motcua', 'redeliveries') }}

),

renamed as (

    select
        event_id,
        content_hash,
        kafka_topic,
        kafka_partition,
        kafka_offset,
        kafka_timestamp,
        ingested_at
    from source

)

select * from renamed
