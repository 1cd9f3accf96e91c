{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- What an officer-month's rows of eval_case_membership depend on besides the cases and their
    exemptions, as one md5 per officer-month: the agency and unit, the task KPIs weighted for the
    position group with their scope, and for a unit-scope KPI (a leader's) the officers positioned
    in the unit that month. eval_case_membership records it when built; an officer-month whose
    context differs is recomputed (eval_membership_touched). -#}
with

kpi_rows as (

    select
        officer_id,
        period,
        period_start as month,
        agency_code,
        unit_code,
        string_agg(kpi_code || ':' || kpi_scope, ',' order by kpi_code) as kpis,
        bool_or(kpi_scope = 'unit') as has_unit_scope
    from {{ ref('eval_officer_kpi_period') }}
    where period_type = 'month'
    group by 1, 2, 3, 4, 5

),

units as (

    select agency_code, unit_code, period, string_agg(officer_id, ',' order by officer_id) as members
    from {{ ref('int_officer_period_positions') }}
    where period_type = 'month'
    group by 1, 2, 3

)

select
    kpi_rows.officer_id,
    kpi_rows.period,
    kpi_rows.month,
    kpi_rows.agency_code,
    md5(concat_ws('|', kpi_rows.agency_code, kpi_rows.unit_code, kpi_rows.kpis,
                  case when kpi_rows.has_unit_scope then coalesce(units.members, '') end)) as context
from kpi_rows
left join units
    on units.agency_code = kpi_rows.agency_code
    and units.unit_code = kpi_rows.unit_code
    and units.period = kpi_rows.period
