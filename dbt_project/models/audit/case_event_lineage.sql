{#- From a case to the raw events behind it: Kafka topic, partition, offset and the verbatim
    payload (personal data included: this schema is for auditors only, like raw). Later
    deliveries of the same event_id are in raw.redeliveries. -#}
select
    events.case_id,
    events.event_id,
    events.event_type,
    events.occurred_at,
    events.agency_code,
    events.officer_id,
    events.kafka_topic,
    events.kafka_partition,
    events.kafka_offset,
    events.kafka_timestamp,
    events.ingested_at,
    events.content_hash,
    events.payload
from {{ source('motcua', 'case_events') }} as events
