{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- The officer-months (month rows) eval_case_membership recomputes on an incremental run:
    - every officer-month of an agency-month this run's cases counted in before (int_kpi_keys_previous)
      or count in now (kpi_case_membership): a leader's rows hold the whole unit's cases;
    - every officer-month of an agency-month holding a case whose active exemption (scope, decision)
      is not the one the table was built with;
    - officer-months whose context (eval_membership_context: agency, unit, KPIs, the unit's
      officers) differs from the one recorded at the last build, or that are new or gone.
    With no record of the last build (the table predates it): every officer-month.
    Empty on a full build (eval_case_membership then rebuilds everything). -#}
-- depends_on: {{ ref('int_cases_affected') }}
-- depends_on: {{ ref('int_kpi_keys_previous') }}
-- depends_on: {{ ref('kpi_case_membership') }}
-- depends_on: {{ ref('int_case_exemptions') }}
-- depends_on: {{ ref('eval_membership_context') }}
{%- set built = built_relation('eval_case_membership') %}
{%- set built_context = existing_relation(build_schema(), 'eval_membership_built_context') %}
{%- set built_exemptions = existing_relation(build_schema(), 'eval_membership_built_exemptions') %}

{% if incremental_scope_active() and built is not none -%}
with

context as (

    select officer_id, period, month, agency_code, context from {{ ref('eval_membership_context') }}

),

{% if built_context is not none and built_exemptions is not none -%}
exemptions_now as (

    select case_id, scope, decision_ref from {{ ref('int_case_exemptions') }} where is_active

),

exemptions_changed as (

    select case_id from (
        (select * from exemptions_now except select case_id, scope, decision_ref from {{ built_exemptions }})
        union all
        (select case_id, scope, decision_ref from {{ built_exemptions }} except select * from exemptions_now)
    ) as changed

),

agency_months as (

    select agency_code, month from {{ ref('int_kpi_keys_previous') }}
    union
    select agency_code, month from {{ ref('kpi_case_membership') }}
    where case_id in (select case_id from {{ ref('int_cases_affected') }})
    union
    select agency_code, month from {{ ref('kpi_case_membership') }}
    where case_id in (select case_id from exemptions_changed)

),

touched as (

    select context.officer_id, context.period
    from context
    inner join agency_months
        on agency_months.agency_code = context.agency_code
        and agency_months.month = context.month
    union
    select context.officer_id, context.period
    from context
    left join {{ built_context }} as previous
        on previous.officer_id = context.officer_id
        and previous.period = context.period
    where previous.context is distinct from context.context
    union
    select previous.officer_id, previous.period
    from {{ built_context }} as previous
    where not exists (select 1 from context
                      where context.officer_id = previous.officer_id and context.period = previous.period)

)
{%- else -%}
touched as (

    -- no record of the last build: everything
    select officer_id, period from context
    union
    select distinct officer_id, period from {{ built }} where period_type = 'month'

)
{%- endif %}

select officer_id, period from touched
{%- else -%}
select null::text as officer_id, null::text as period
where false
{%- endif %}
