{#- case.exemption_granted / case.exemption_revoked events (free-text reasons stay in raw). -#}
with

source as (

    select * from {{ source('staff', 'staff_events') }}
    where event_type in ('case.exemption_granted', 'case.exemption_revoked') and schema_version = 1

),

renamed as (

    select
        event_id,
        case event_type when 'case.exemption_granted' then 'granted' else 'revoked' end as action,
        case_id,
        payload -> 'data' ->> 'scope' as scope,
        payload -> 'data' ->> 'decision_ref' as decision_ref,
        payload -> 'data' ->> 'reason_code' as reason_code,
        officer_id as deciding_officer_id,
        agency_code,
        occurred_at,
        kafka_partition,
        kafka_offset
    from source

)

select * from renamed
