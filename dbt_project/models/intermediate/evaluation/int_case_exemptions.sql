{{ config(materialized='table', post_hook=['analyze {{ this }}'],
          indexes=[{'columns': ['case_id', 'scope']}]) }}
{#- Each case's exemption per scope as of this build: the latest grant or revocation by occurred_at
    (ties: the later Kafka position) stands. Active exemptions change the evaluation rates only.
    Indexed by (case_id, scope): eval_case_membership looks each of its case rows up here, and the
    planner, underestimating those rows, joins them by nested loop (without the index: a scan of
    the whole table per row). -#}
with

events as (

    select * from {{ ref('stg_staff__exemptions') }}

),

latest as (

    select distinct on (case_id, scope) *
    from events
    order by case_id, scope, occurred_at desc, kafka_partition desc, kafka_offset desc

)

select
    latest.case_id,
    latest.scope,
    latest.action = 'granted' as is_active,
    latest.decision_ref,
    latest.reason_code,
    (select max(grants.occurred_at) from events as grants
     where grants.case_id = latest.case_id and grants.scope = latest.scope and grants.action = 'granted') as granted_at,
    case when latest.action = 'revoked' then latest.occurred_at end as revoked_at,
    latest.event_id as standing_event_id
from latest
