{{ config(materialized='table') }}
{#- The cases an incremental run recomputes: those with raw events ingested after the watermark
    (the newest ingested_at already in marts.fct_cases, minus a lookback for loader transactions
    that committed late), plus the cases whose figures depend on the build's as-of instant (open
    cases: their overdue/waiting state moves with time). Empty on a full build. -#}
{%- set fct = existing_relation('marts', 'fct_cases') %}

{% if incremental_scope_active() -%}

with

watermark as (

    select coalesce(max(last_ingested_at), '-infinity'::timestamptz)
           - interval '{{ var("incremental_lookback_minutes") }} minutes' as ingested_after
    from {{ fct }}

),

new_events as (

    select distinct case_id
    from {{ source('motcua', 'case_events') }}
    where ingested_at > (select ingested_after from watermark)

),

time_dependent as (

    select case_id from {{ fct }} where recompute_each_run

)

select case_id from new_events
union
select case_id from time_dependent

{%- else -%}

select null::text as case_id where false

{%- endif %}
