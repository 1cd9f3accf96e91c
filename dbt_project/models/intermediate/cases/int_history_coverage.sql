{{ config(materialized='table') }}
{#- The first local day the event history covers: a month that starts before it is a partial
    period (the monthly KPI tables' covered_from / is_partial_period, and working_days counts
    only its covered days). A full build reads every event (int_case_events_scoped holds them
    all); an incremental run only the events of the cases it recomputes, kept with the previous
    value (a late event older than the history moves the start earlier; the monthly tables then
    recompute the rows of that month). An incremental run without a previous value (a database
    built before this model existed) reads every staged event once. -#}
-- depends_on: {{ ref('stg_motcua__case_events') }}
{%- set scoped = incremental_scope_active() %}
{%- set previous = existing_relation(this.schema, this.identifier) if scoped else none %}
{%- set events = ref('stg_motcua__case_events') if scoped and previous is none else ref('int_case_events_scoped') %}

select least(
    (select min((events.occurred_at at time zone '{{ var("timezone") }}')::date)
     from {{ events }} as events)
    {%- if previous is not none %},
    (select min(covered_from) from {{ previous }})
    {%- endif %}
)::date as covered_from
