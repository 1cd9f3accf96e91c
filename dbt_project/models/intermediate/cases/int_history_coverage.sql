{{ config(materialized='table') }}
{#- The first local day the event history covers: a month that starts before it is a partial
    period (the monthly KPI tables' covered_from / is_partial_period, and working_days counts
    only its covered days). A full build reads every event; an incremental run only the events of
    the cases it recomputes, kept with the previous value (a late event older than the history
    moves the start earlier; the monthly tables then recompute the rows of that month). -#}
{%- set previous = existing_relation(this.schema, this.identifier) if incremental_scope_active() else none %}

select least(
    (select min((events.occurred_at at time zone '{{ var("timezone") }}')::date)
     from {{ ref('int_case_events_scoped') }} as events)
    {%- if previous is not none %},
    (select min(covered_from) from {{ previous }})
    {%- endif %}
)::date as covered_from
