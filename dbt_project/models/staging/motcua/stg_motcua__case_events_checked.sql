{#- One row per event: typed columns, the data{} fields the KPIs need, applicants' personal data
    replaced by keyed HMAC-SHA256 hashes, and a rejection_reason when the event cannot count.
    The verbatim payload and free texts stay in raw.

    Whatever the loader accepted must not fail here: every cast is guarded, and an event the
    figures cannot use (the loader decides most defects at capture; these are the ones only
    this layer can see, or rows loaded before a capture check existed) gets a reason instead.
    stg_motcua__case_events keeps the others; stg_motcua__rejected_events lists these. -#}
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
        case when jsonb_typeof(deduplicated.payload -> 'data' -> 'processing_days') = 'number'
             then (deduplicated.payload -> 'data' ->> 'processing_days')::numeric end as processing_days,
        deduplicated.payload -> 'data' ->> 'to_officer_id' as to_officer_id,
        deduplicated.payload -> 'data' ->> 'department_code' as department_code,
        deduplicated.payload -> 'data' ->> 'reason_code' as return_reason_code,
        deduplicated.payload -> 'data' ->> 'outcome' as outcome,
        -- The contract's integers may be written 4, 4.0, 4e0 or 5.000 (the loader rejects any
        -- non-integral value): read the number, then keep it only if it is an integer 1..5.
        case when jsonb_typeof(deduplicated.payload -> 'data' -> 'score') = 'number'
             then (deduplicated.payload -> 'data' ->> 'score')::numeric end as rating_value,
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
        -- when Kafka recorded it (producer or broker clock): late_recorded compares it with occurred_at
        deduplicated.kafka_timestamp,

        -- lineage
        deduplicated.kafka_topic,
        deduplicated.kafka_partition,
        deduplicated.kafka_offset

    from deduplicated
    cross join pii_key
    where deduplicated.delivery_rank = 1

),

bounds as (

    select
        ({{ dbt.string_literal(var('system_start')) }}::date::timestamp
            at time zone {{ dbt.string_literal(var('timezone')) }}) as system_start,
        ({{ dbt.string_literal(var('calendar_start')) }}::date::timestamp
            at time zone {{ dbt.string_literal(var('timezone')) }}) as calendar_start,
        (({{ dbt.string_literal(var('calendar_end')) }}::date + 1)::timestamp
            at time zone {{ dbt.string_literal(var('timezone')) }}) as calendar_end

),

typed as (

    select
        renamed.*,
        case when renamed.rating_value between 1 and 5 and renamed.rating_value = trunc(renamed.rating_value)
             then renamed.rating_value::smallint end as rating_score
    from renamed

),

checked as (

    -- First matching reason wins. Timestamps outside the working calendar have no working
    -- minutes to count: such an event would leave a case without a deadline.
    select
        typed.*,
        case
            when typed.event_type not in (
                    'case.received', 'case.assigned', 'case.returned', 'case.resubmitted', 'case.extended',
                    'case.completed', 'case.delivered', 'case.withdrawn', 'case.rated', 'case.complained')
                then 'unknown_event_type'
            when typed.schema_version <> 1 then 'unsupported_schema_version'
            when typed.occurred_at < bounds.system_start then 'occurred_before_system_start'
            when typed.occurred_at < bounds.calendar_start or typed.occurred_at >= bounds.calendar_end
                then 'occurred_outside_working_calendar'
            -- an ID number, phone or e-mail typed into an identifier or code would reach BI
            when {{ looks_like_personal_data([
                    'typed.case_id', 'typed.agency_code', 'typed.officer_id', 'typed.procedure_code',
                    'typed.procedure_name', 'typed.sector_code', 'typed.channel', 'typed.to_officer_id',
                    'typed.department_code', 'typed.return_reason_code', 'typed.outcome',
                    'typed.complaint_category', 'typed.source_system']) }}
                then 'identifier_looks_like_personal_data'
            when typed.event_type = 'case.received'
                 and (typed.procedure_code is null or typed.due_at is null or typed.processing_days is null
                      or typed.processing_days <= 0 or typed.channel is null)
                then 'receipt_incomplete'
            when typed.event_type = 'case.received'
                 and (typed.due_at < bounds.calendar_start or typed.due_at >= bounds.calendar_end)
                then 'due_at_outside_working_calendar'
            when typed.event_type = 'case.extended'
                 and (typed.new_due_at is null or typed.new_due_at < bounds.calendar_start
                      or typed.new_due_at >= bounds.calendar_end)
                then 'new_due_at_outside_working_calendar'
            when typed.event_type = 'case.rated' and typed.rating_score is null
                then 'rating_score_not_an_integer_1_to_5'
        end as rejection_reason
    from typed
    cross join bounds

)

select * from checked
