{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- Job positions as a dated history per officer (SCD type 2). On one date the event recorded last
    stands (occurred_at, then Kafka position): a corrected position on the same date replaces it.
    A position lasts until the officer's next event (another position, or officer.left, which opens
    no row): valid_to is exclusive, NULL while current. -#}
with

events as (

    select * from {{ ref('stg_staff__positions') }}
    where valid_from is not null

),

per_date as (

    select distinct on (officer_id, valid_from) *
    from events
    order by officer_id, valid_from, occurred_at desc, kafka_partition desc, kafka_offset desc

),

chained as (

    select
        per_date.*,
        lead(valid_from) over (partition by officer_id order by valid_from) as valid_to
    from per_date

)

select
    officer_id,
    agency_code,
    unit_code,
    position_code,
    position_name,
    position_group,
    manager_id,
    valid_from,
    valid_to,
    valid_to is null as is_current,
    event_id
from chained
where change_type = 'positioned'
