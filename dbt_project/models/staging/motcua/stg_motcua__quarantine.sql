{#- Messages the loader could not load, by reason: counts for monitoring. The original bytes
    (raw_value, may hold personal data) and the error text stay in raw. -#}
with

source as (

    select * from {{ source('motcua', 'quarantine') }}

),

renamed as (

    select
        kafka_topic,
        kafka_partition,
        kafka_offset,
        kafka_timestamp,
        reason,
        event_id as claimed_event_id,
        quarantined_at
    from source

)

select * from renamed
