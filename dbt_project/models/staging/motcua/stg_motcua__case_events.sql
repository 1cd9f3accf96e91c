{#- One row per event the figures use: typed, deduplicated, personal data hashed (the logic is in
    stg_motcua__case_events_checked). Events with a rejection reason are left out here and listed
    in stg_motcua__rejected_events. -#}
select
    event_id,
    case_id,
    agency_code,
    officer_id,
    event_type,
    schema_version,
    source_system,
    procedure_code,
    procedure_name,
    sector_code,
    channel,
    processing_days,
    to_officer_id,
    department_code,
    return_reason_code,
    outcome,
    rating_score,
    complaint_category,
    applicant_id_hash,
    applicant_name_hash,
    applicant_phone_hash,
    occurred_at,
    due_at,
    new_due_at,
    ingested_at,
    kafka_timestamp,
    kafka_topic,
    kafka_partition,
    kafka_offset
from {{ ref('stg_motcua__case_events_checked') }}
where rejection_reason is null
