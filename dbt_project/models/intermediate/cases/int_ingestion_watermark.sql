{{ config(materialized='table') }}
{#- The newest raw ingested_at when this run started. Recorded as the incremental watermark by
    the on-run-end hook only when the whole chain of incremental models succeeded, so a failed or
    interrupted run is redone by the next one (macros/watermark.sql). Only events newer than the
    previous watermark are read (BRIN range on ingested_at): the cost does not grow with history.
    is_full_build tells the publish queue (macros/watermark.sql) whether this run rebuilt everything. -#}
{%- set recorded = existing_relation('lineage', 'dbt_incremental_watermark') %}

{% if recorded is not none and not flags.FULL_REFRESH -%}
with previous as (

    select max(ingested_upto) as ingested_upto from {{ recorded }}

)

select
    coalesce(
        (select max(events.ingested_at) from {{ source('motcua', 'case_events') }} as events
         where events.ingested_at > (select ingested_upto from previous)),
        (select ingested_upto from previous),
        -- no watermark recorded yet (migrations create the table empty): as on a first build
        (select max(events.ingested_at) from {{ source('motcua', 'case_events') }} as events)
    ) as ingested_upto,
    {{ as_of() }} as as_of,
    {{ not incremental_scope_active() }} as is_full_build
{%- else -%}
select max(ingested_at) as ingested_upto, {{ as_of() }} as as_of,
       {{ not incremental_scope_active() }} as is_full_build
from {{ source('motcua', 'case_events') }}
{%- endif %}
