{#- One row per criterion of every officer.assessed version (all versions kept for the audit trail). -#}
with

source as (

    select * from {{ source('staff', 'staff_events') }}
    where event_type = 'officer.assessed' and schema_version = 1
      and jsonb_typeof(payload -> 'data' -> 'criteria') = 'array'

),

criteria as (

    select
        source.event_id,
        source.officer_id,
        source.payload -> 'data' ->> 'period' as period,
        source.payload -> 'data' ->> 'assessor_role' as assessor_role,
        item.ordinality::int as criterion_ordinal,
        item.value ->> 'code' as criterion_code,
        case when jsonb_typeof(item.value -> 'points') = 'number' then (item.value ->> 'points')::numeric end as points
    from source
    cross join lateral jsonb_array_elements(source.payload -> 'data' -> 'criteria') with ordinality as item(value, ordinality)

)

select * from criteria
