{{ config(materialized='view') }}
{#- Decree 335/2025 scorecard, task-result part (70 of 100 points), per officer, agency and month
    from 2026 on. Each KPI with a weight in kpi_models/scorecard_weights.csv earns its full weight
    when it meets its target, else weight x value / target (higher is better) or weight x target /
    value (lower is better). KPIs without a value (no denominator) or without a target are left
    out and the points are rescaled to 70 over the weights that could be scored. The 30 points of
    general criteria are managers' input: not computed here, so no band is published.
    The official formula is unconfirmed: the weights are versioned configuration, never SQL. -#}

with

monthly as (

    select * from {{ ref('kpi_officer_monthly') }}

),

weights as (

    select
        axis,
        kpi_code,
        weight,
        valid_from,
        lead(valid_from) over (partition by kpi_code order by valid_from) as valid_to,
        version
    from {{ ref('scorecard_weights') }}

),

kpi_values as (

    -- each KPI's exact fraction from its counts (the stored rates are rounded to 4 decimals)
    {%- set fractions = kpi_fractions() %}
    {%- for kpi in targeted_kpis() %}
    select officer_id, agency_code, month, '{{ kpi }}' as kpi_code,
           {{ rate(fractions[kpi][0], fractions[kpi][1]) }} as value, {{ kpi }}_target as target, {{ kpi }}_met as met
    from monthly
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

scored as (

    select
        kpi_values.*,
        weights.axis,
        weights.weight,
        weights.version,
        targets.comparator,
        case
            when kpi_values.value is null or kpi_values.target is null or kpi_values.target = 0 then null
            when kpi_values.met then weights.weight
            when targets.comparator in ('>=', '>') then weights.weight * least(kpi_values.value / kpi_values.target, 1)
            else weights.weight * least(kpi_values.target / nullif(kpi_values.value, 0), 1)
        end as points
    from kpi_values
    inner join weights
        on weights.kpi_code = kpi_values.kpi_code
        and kpi_values.month >= weights.valid_from
        and (weights.valid_to is null or kpi_values.month < weights.valid_to)
    left join {{ ref('kpi_targets') }} as targets
        on targets.kpi_code = kpi_values.kpi_code
        and kpi_values.month >= targets.valid_from
        and (targets.valid_to is null or kpi_values.month < targets.valid_to)

),

summed as (

    select
        officer_id,
        agency_code,
        month,
        sum(points) filter (where axis = 'quantity') as quantity_points,
        sum(points) filter (where axis = 'quality') as quality_points,
        sum(points) filter (where axis = 'progress') as progress_points,
        sum(points) as raw_points,
        sum(weight) filter (where points is not null) as scorable_weight,
        sum(weight) as total_weight,
        count(points)::int as kpis_scored,
        min(version) as weights_version
    from scored
    group by 1, 2, 3

)

select
    officer_id,
    agency_code,
    month,
    quantity_points,
    quality_points,
    progress_points,
    kpis_scored,
    scorable_weight,
    total_weight,
    round(70 * raw_points / nullif(scorable_weight, 0), 2) as task_result_points,
    weights_version
from summed
