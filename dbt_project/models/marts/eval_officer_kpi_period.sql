{{ config(
    materialized='table',
    post_hook=['analyze {{ this }}'],
    indexes=[{'columns': ['officer_id', 'period_type', 'period', 'kpi_code'], 'unique': true}],
) }}
{#- Task KPIs of each officer-month (method v1 item 2-3): for every KPI weighted for the officer's
    position group (eval_task_weights.csv, version valid on the month's last day), its factual value
    (as kpi_officer_monthly publishes it) and its evaluation value (active exemptions applied), the
    target at read time (kpi_targets.csv, as kpi_officer_monthly), and the points:
    full scaled weight when the evaluation value meets the target, else scaled weight x value /
    target (higher is better) or x target / value (lower is better). A KPI with no case, fewer
    cases than min_cases (rates and means: the denominator; per-working-day KPIs: the cases) or no
    target is not scored, and the weights of the scored KPIs are rescaled to task_max (70).
    Leadership KPIs are the unit's (every officer positioned in the same agency and unit that month).
    Month rows only: quarters and years average the monthly totals (eval_officer_period).
    Rebuilt each run over the incremental KPI measures (like kpi_officer_monthly): its cost follows
    the officer-months, not the cases. -#}
{%- set kpi_measures = eval_kpi_measures() %}
{%- set exempted_measures = eval_exempted_measures() %}
{%- set measure_columns = [] %}
{%- for m in registry_measures('officer_month') if m['aggregate'] != 'rows' %}{% do measure_columns.append(m['column']) %}{% endfor %}
{%- set kpis = [] %}
{%- for k in registry_kpis('officer_month') if k['targeted'] %}{% do kpis.append(k) %}{% endfor %}

with

positions as (

    select * from {{ ref('int_officer_period_positions') }}
    where period_type = 'month'

),

monthly as (

    select * from {{ ref('kpi_officer_monthly') }}
    where officer_id is not null and month >= {{ eval_first_month() }}

),

exempted as (

    -- the few exempted cases' membership rows (an indexed lookup per exempted case)
    select
        membership.officer_id,
        membership.agency_code,
        membership.month,
        count(*) filter (where exemptions.scope = 'lateness')::int as late_exempted,
        count(*) filter (where exemptions.scope = 'return')::int as returns_exempted
    from {{ ref('int_case_exemptions') }} as exemptions
    inner join {{ ref('kpi_case_membership') }} as membership
        on membership.case_id = exemptions.case_id
        and membership.measure = case exemptions.scope
            {%- for scope, measure in exempted_measures.items() %} when '{{ scope }}' then '{{ measure }}'{% endfor %} end
    where exemptions.is_active and membership.officer_id is not null
    group by 1, 2, 3

),

own as (

    -- each positioned officer's own measures at the agency of the position (zeros without activity)
    select
        positions.officer_id,
        positions.period,
        positions.period_start as month,
        positions.period_end,
        positions.agency_code,
        positions.unit_code,
        positions.position_group,
        {%- for c in measure_columns %}
        coalesce(monthly.{{ c }}, 0) as {{ c }},
        {%- endfor %}
        coalesce(monthly.working_days, {{ working_days_in_month('positions.agency_code', 'positions.period_start') }}) as working_days,
        coalesce(exempted.late_exempted, 0) as late_exempted,
        coalesce(exempted.returns_exempted, 0) as returns_exempted
    from positions
    left join monthly
        on monthly.officer_id = positions.officer_id
        and monthly.agency_code = positions.agency_code
        and monthly.month = positions.period_start
    left join exempted
        on exempted.officer_id = positions.officer_id
        and exempted.agency_code = positions.agency_code
        and exempted.month = positions.period_start

),

unit as (

    -- a unit's measures: every officer positioned in it that month
    select
        agency_code,
        unit_code,
        month,
        {%- for c in measure_columns %}
        sum({{ c }}) as {{ c }},
        {%- endfor %}
        max(working_days) as working_days,
        sum(late_exempted) as late_exempted,
        sum(returns_exempted) as returns_exempted
    from own
    group by 1, 2, 3

),

measured as (

    select
        own.officer_id, own.period, own.month, own.period_end, own.agency_code, own.unit_code, own.position_group,
        case when own.position_group = 'leadership' then 'unit' else 'own' end as kpi_scope,
        {%- for c in measure_columns %}
        case when own.position_group = 'leadership' then unit.{{ c }} else own.{{ c }} end as {{ c }},
        {%- endfor %}
        case when own.position_group = 'leadership' then unit.working_days else own.working_days end as working_days,
        case when own.position_group = 'leadership' then unit.late_exempted else own.late_exempted end as late_exempted,
        case when own.position_group = 'leadership' then unit.returns_exempted else own.returns_exempted end as returns_exempted
    from own
    left join unit
        on unit.agency_code = own.agency_code and unit.unit_code = own.unit_code and unit.month = own.month

),

weights as (

    select
        measured.officer_id,
        measured.month,
        weights.kpi_code,
        weights.weight,
        weights.version as weights_version
    from measured
    inner join {{ ref('eval_task_weights') }} as weights
        on weights.position_group = measured.position_group
        and weights.valid_from = (
            select max(latest.valid_from) from {{ ref('eval_task_weights') }} as latest
            where latest.position_group = measured.position_group and latest.valid_from <= measured.period_end)

),

kpi_values as (

    {%- for k in kpis %}
    select
        factual.officer_id,
        factual.month,
        '{{ k['code'] }}' as kpi_code,
        '{{ k['direction'] }}' as direction,
        factual.numerator as numerator_factual,
        evaluation.numerator,
        evaluation.denominator,
        {{ 'factual.numerator' if k['type'] == 'per_working_day' else 'factual.denominator' }} as cases_counted
    from (
        select officer_id, month, ({{ k['numerator_sql'] }})::numeric as numerator, ({{ k['denominator_sql'] }})::numeric as denominator
        from measured
    ) as factual
    inner join (
        select officer_id, month,
            ({{ k['numerator_sql'] | replace('cases_completed_on_time', '(cases_completed_on_time + late_exempted)') | replace('cases_returned_first_pass', '(cases_returned_first_pass - returns_exempted)') }})::numeric as numerator,
            ({{ k['denominator_sql'] }})::numeric as denominator
        from measured
    ) as evaluation
        on evaluation.officer_id = factual.officer_id and evaluation.month = factual.month
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

scored as (

    select
        measured.officer_id,
        measured.period,
        measured.month,
        measured.period_end,
        measured.agency_code,
        measured.unit_code,
        measured.position_group,
        measured.kpi_scope,
        weights.kpi_code,
        weights.weight,
        weights.weights_version,
        kpi_values.direction,
        kpi_values.numerator_factual,
        kpi_values.numerator,
        kpi_values.denominator,
        kpi_values.cases_counted,
        {{ rate('kpi_values.numerator_factual', 'kpi_values.denominator') }} as value_factual,
        {{ rate('kpi_values.numerator', 'kpi_values.denominator') }} as value_evaluation,
        abs(kpi_values.numerator - kpi_values.numerator_factual)::int as exempted_cases,
        targets.target,
        targets.comparator,
        case
            when coalesce(kpi_values.cases_counted, 0) = 0 then 'no_cases'
            when kpi_values.cases_counted < {{ eval_setting('min_cases', 'measured.period_end') }} then 'below_min_cases'
            when targets.target is null then 'no_target'
        end as not_scored_reason
    from weights
    inner join measured on measured.officer_id = weights.officer_id and measured.month = weights.month
    inner join kpi_values
        on kpi_values.officer_id = weights.officer_id and kpi_values.month = weights.month
        and kpi_values.kpi_code = weights.kpi_code
    -- targets at read time, by month like kpi_officer_monthly
    left join {{ ref('kpi_targets') }} as targets
        on targets.kpi_code = weights.kpi_code
        and measured.month >= targets.valid_from
        and (targets.valid_to is null or measured.month < targets.valid_to)

),

attained as (

    select
        scored.*,
        not_scored_reason is null as is_scored,
        case
            when not_scored_reason is not null then null
            when case comparator
                    when '>=' then value_evaluation >= target
                    when '>' then value_evaluation > target
                    when '<=' then value_evaluation <= target
                    when '<' then value_evaluation < target
                 end then 1::numeric
            when direction = 'higher_is_better' then least(value_evaluation / nullif(target, 0), 1)
            when value_evaluation = 0 then 1::numeric
            else least(target / value_evaluation, 1)
        end as attainment
    from scored

),

weighted as (

    select
        attained.*,
        case when is_scored then
            weight * {{ eval_setting('task_max', 'period_end') }}
            / sum(weight) filter (where is_scored) over (partition by officer_id, month)
        end as scaled_weight_exact
    from attained

)

select
    officer_id,
    'month'::text as period_type,
    period,
    month as period_start,
    period_end,
    agency_code,
    unit_code,
    position_group,
    kpi_code,
    kpi_scope,
    weight,
    round(value_factual, 4) as value_factual,
    round(value_evaluation, 4) as value_evaluation,
    target,
    comparator,
    direction,
    numerator_factual,
    numerator,
    denominator,
    exempted_cases,
    cases_counted,
    is_scored,
    not_scored_reason,
    round(scaled_weight_exact, 4) as scaled_weight,
    round(scaled_weight_exact * attainment, 4) as points,
    weights_version
from weighted
