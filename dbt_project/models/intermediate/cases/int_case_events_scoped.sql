{{ config(
    post_hook=['analyze {{ this }}'],
    materialized='table',
    indexes=[{'columns': ['case_id', 'occurred_at']}],
) }}
{#- The staged events of the cases this run recomputes: every case on a full build, only the
    affected cases (int_cases_affected) on an incremental run. Everything downstream of it is
    computed from this table, so an incremental run costs work proportional to the affected cases. -#}

select events.*
from {{ ref('stg_motcua__case_events') }} as events
{%- if incremental_scope_active() %}
-- = any(array(...)) is a parameter qual: PostgreSQL pushes it below the staging view's window
-- down to the raw case_id index (an IN (subquery) semi-join would not be pushed)
where events.case_id = any(array(select case_id from {{ ref('int_cases_affected') }}))
{%- else %}
-- full build: int_cases_affected is empty and not needed
-- depends_on: {{ ref('int_cases_affected') }}
{%- endif %}
