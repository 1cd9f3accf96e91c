{#- Loaded events the figures leave out, one row each with the reason: the follow-up list the
    quality gate's report shows (an auditor traces each to raw by its Kafka coordinates). No
    personal data: ids, type, instants and coordinates only. -#}
select
    event_id,
    case_id,
    agency_code,
    officer_id,
    event_type,
    occurred_at,
    ingested_at,
    rejection_reason,
    kafka_topic,
    kafka_partition,
    kafka_offset
from {{ ref('stg_motcua__case_events_checked') }}
where rejection_reason is not null
