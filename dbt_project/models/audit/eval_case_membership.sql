{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{% if is_incremental() %}delete from {{ this }} where period_type = 'month' and (officer_id, period) in
                (select officer_id, period from {{ ref('eval_membership_touched') }}){% endif %}"],
    post_hook=['analyze {{ this }}', '{{ record_eval_membership_context() }}'],
    indexes=[{'columns': ['officer_id', 'period_type', 'period', 'kpi_code', 'case_id'], 'unique': true},
             {'columns': ['case_id']}],
) }}
{#- Which cases count in each task KPI of the evaluation (eval_officer_kpi_period, month rows), and
    which exemption applied: the KPI's numerator and denominator measures in kpi_case_membership
    (for a leader: every officer positioned in the unit that month). counted_in_numerator is the
    evaluation's (an exempted late case counts as on time, an exempted return does not count);
    the factual rate counts the membership's measures as they are. KPIs per working day have no
    case denominator (counted_in_denominator NULL).
    Each officer-month's membership rows (a leader's: each unit member's) are read once, for every
    measure a KPI or an exemption needs, then fanned out to the officer-month's KPIs of that scope.
    Incremental by officer-month: a run deletes and recomputes the officer-months
    eval_membership_touched lists (this run's cases' agency-months, changed exemptions, changed
    positions, units or KPI weights), equal to a full refresh. -#}
-- depends_on: {{ ref('eval_membership_touched') }}
{%- set kpi_measures = eval_kpi_measures() %}
{%- set exempted_measures = eval_exempted_measures() %}
{#- every measure any KPI reads (numerator, denominator) or an exemption looks at, each once -#}
{%- set needed_measures = [] %}
{%- for parts in kpi_measures.values() %}{% for measure in parts if measure and measure not in needed_measures %}{% do needed_measures.append(measure) %}{% endfor %}{% endfor %}
{%- for measure in exempted_measures.values() if measure not in needed_measures %}{% do needed_measures.append(measure) %}{% endfor %}

with

kpi_rows as (

    select officer_id, period_type, period, period_start as month, agency_code, unit_code, kpi_code, kpi_scope
    from {{ ref('eval_officer_kpi_period') }}
    {%- if is_incremental() %}
    where (officer_id, period) in (select officer_id, period from {{ ref('eval_membership_touched') }})
    {%- endif %}

),

kpi_measures as (

    select * from (values
        {%- for code, parts in kpi_measures.items() %}
        ('{{ code }}', {{ "'" ~ parts[0] ~ "'" if parts[0] else 'null' }}, {{ "'" ~ parts[1] ~ "'" if parts[1] else 'null' }}){{ ',' if not loop.last }}
        {%- endfor %}
    ) as measures(kpi_code, numerator_measure, denominator_measure)

),

scopes as (

    -- each officer-month once per scope: its membership rows are read once for all its KPIs
    select distinct officer_id, period_type, period, month, agency_code, unit_code, kpi_scope
    from kpi_rows

),

members as (

    -- whose cases count: the officer, or every officer of the leader's unit that month
    select scopes.*, scopes.officer_id as member_id
    from scopes
    where kpi_scope = 'own'
    union all
    select scopes.*, unit.officer_id
    from scopes
    inner join {{ ref('int_officer_period_positions') }} as unit
        on unit.period_type = 'month' and unit.period = scopes.period
        and unit.agency_code = scopes.agency_code and unit.unit_code = scopes.unit_code
    where scopes.kpi_scope = 'unit'

),

scope_cases as (

    -- one pass over the members' membership rows for every measure a KPI of the scope may need,
    -- one flag per measure
    select
        members.officer_id,
        members.period_type,
        members.period,
        members.month,
        members.agency_code,
        members.unit_code,
        members.kpi_scope,
        membership.case_id
        {%- for measure in needed_measures %},
        bool_or(membership.measure = '{{ measure }}') as has_{{ measure }}
        {%- endfor %}
    from members
    inner join {{ ref('kpi_case_membership') }} as membership
        on membership.officer_id = members.member_id
        and membership.agency_code = members.agency_code
        and membership.month = members.month
        -- the same rows, as a range of the index (officer_id, agency_code, activity_date): without
        -- it each lookup reads the officer's whole history and keeps one month
        and membership.activity_date >= members.month
        and membership.activity_date < (members.month + interval '1 month')::date
        and membership.measure in ({% for measure in needed_measures %}'{{ measure }}'{{ ', ' if not loop.last }}{% endfor %})
    group by 1, 2, 3, 4, 5, 6, 7, 8

),

cases as (

    -- fanned out to the scope's KPIs; a side with no measure (NULL) stays NULL, as a comparison
    -- with it would
    select
        kpi_rows.officer_id,
        kpi_rows.period_type,
        kpi_rows.period,
        kpi_rows.kpi_code,
        scope_cases.case_id,
        case kpi_measures.numerator_measure
            {%- for measure in needed_measures %} when '{{ measure }}' then scope_cases.has_{{ measure }}{% endfor %}
        end as in_numerator,
        case kpi_measures.denominator_measure
            {%- for measure in needed_measures %} when '{{ measure }}' then scope_cases.has_{{ measure }}{% endfor %}
        end as in_denominator,
        scope_cases.has_timeliness_late as is_late,
        scope_cases.has_returned_first_pass as is_returned
    from kpi_rows
    inner join kpi_measures on kpi_measures.kpi_code = kpi_rows.kpi_code
    inner join scope_cases
        on scope_cases.officer_id = kpi_rows.officer_id
        and scope_cases.period_type = kpi_rows.period_type
        and scope_cases.period = kpi_rows.period
        and scope_cases.month = kpi_rows.month
        and scope_cases.agency_code = kpi_rows.agency_code
        and scope_cases.unit_code is not distinct from kpi_rows.unit_code
        and scope_cases.kpi_scope = kpi_rows.kpi_scope

)

select
    cases.officer_id,
    cases.period_type,
    cases.period,
    cases.kpi_code,
    cases.case_id,
    case
        when exemptions.scope = 'lateness' and cases.is_late and kpi_measures.numerator_measure = 'completed_on_time' then true
        when exemptions.scope = 'return' and cases.is_returned and kpi_measures.numerator_measure = 'returned_first_pass' then false
        else cases.in_numerator
    end as counted_in_numerator,
    cases.in_numerator as counted_in_numerator_factual,
    cases.in_denominator as counted_in_denominator,
    exemptions.decision_ref as exemption_decision_ref,
    exemptions.scope as exemption_scope
from cases
inner join kpi_measures on kpi_measures.kpi_code = cases.kpi_code
left join {{ ref('int_case_exemptions') }} as exemptions
    on exemptions.case_id = cases.case_id
    and exemptions.is_active
    and exemptions.scope = case kpi_measures.numerator_measure
        when 'completed_on_time' then 'lateness' when 'returned_first_pass' then 'return' end
where cases.in_numerator or cases.in_denominator
