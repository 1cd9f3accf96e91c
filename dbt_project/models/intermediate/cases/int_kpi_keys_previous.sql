{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- Before an incremental run replaces the affected cases' KPI membership, remember which KPI
    rows (officer-day, agency-month) those cases counted in: a row a case leaves must be
    recomputed too (and dropped when nothing is left in it). Empty on a full build. -#}
-- depends_on: {{ ref('int_cases_affected') }}
{%- set membership = built_relation('kpi_case_membership') %}

{% if incremental_scope_active() and membership is not none -%}
select distinct officer_id, agency_code, activity_date, month
from {{ membership }}
where case_id in (select case_id from {{ ref('int_cases_affected') }})
{%- else -%}
select null::text as officer_id, null::text as agency_code, null::date as activity_date, null::date as month
where false
{%- endif %}
