{#- officer.positioned and officer.left events: who holds which job position from which local date.
    Not deduplicated by date here: int_officer_positions decides which event stands. -#}
with

source as (

    select * from {{ source('staff', 'staff_events') }}
    where event_type in ('officer.positioned', 'officer.left') and schema_version = 1

),

renamed as (

    select
        event_id,
        case event_type when 'officer.positioned' then 'positioned' else 'left' end as change_type,
        officer_id,
        agency_code,
        payload -> 'data' ->> 'unit_code' as unit_code,
        payload -> 'data' ->> 'position_code' as position_code,
        payload -> 'data' ->> 'position_name' as position_name,
        payload -> 'data' ->> 'position_group' as position_group,
        payload -> 'data' ->> 'manager_id' as manager_id,
        {{ safe_date("payload -> 'data' ->> 'valid_from'") }} as valid_from,
        payload -> 'data' ->> 'reason' as leave_reason,
        occurred_at,
        kafka_partition,
        kafka_offset
    from source

)

select * from renamed
