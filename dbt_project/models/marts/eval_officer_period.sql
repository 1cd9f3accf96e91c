{{ config(
    materialized='table',
    post_hook=['analyze {{ this }}'],
    indexes=[{'columns': ['officer_id', 'period_type', 'period'], 'unique': true}],
) }}
{#- Each officer's Decree 335 result per month, quarter and year (method v1 items 1, 4-7).
    Month: task points (sum of the scored KPI points, eval_officer_kpi_period) + general points
    (the manager's applied assessment, int_officer_criteria_points, weighted per assessor role);
    a leader's task points are multiplied by leader_unit_factor_low (0.5) when another officer of
    the same agency and unit, not a leader, has a total below the pass threshold that month (the
    non-leaders' totals are computed first: a leader's own result never scales another leader).
    Quarter / year: the mean of the monthly totals that are not pending, when at least
    quarter_min_scored_months (year_min_scored_months) months are scored; the position at the end
    of the period. Bands and the quota (macro eval_banded) are applied at each level. Totals are
    rounded to 2 decimals before banding: the band is the one of the total shown. -#}

with

positions as (

    select * from {{ ref('int_officer_period_positions') }}

),

activity_months as (

    select officer_id, month, min(agency_code) as agency_code
    from {{ ref('kpi_officer_monthly') }}
    where officer_id is not null
      and month >= {{ eval_first_month() }}
      and month <= {{ local_month(as_of()) }}
    group by 1, 2

),

population as (

    -- officers holding a position in the month, and officers with activity but no position (unknown)
    select officer_id, period, period_start, period_end, agency_code, unit_code, position_group
    from positions
    where period_type = 'month'
    union all
    select
        activity.officer_id,
        to_char(activity.month, 'YYYY-MM'),
        activity.month,
        (activity.month + interval '1 month' - interval '1 day')::date,
        activity.agency_code,
        null,
        'unknown'
    from activity_months as activity
    where not exists (
        select 1 from positions
        where positions.period_type = 'month' and positions.officer_id = activity.officer_id
          and positions.period_start = activity.month)

),

task as (

    select
        officer_id,
        period,
        round(sum(points) filter (where is_scored), 2) as task_points
    from {{ ref('eval_officer_kpi_period') }}
    group by 1, 2

),

criteria as (

    select * from {{ ref('int_officer_criteria_points') }}

),

role_points as (

    select officer_id, period_type, period, assessor_role, sum(points) as points
    from criteria
    group by 1, 2, 3, 4

),

general as (

    -- weighted over the roles present (manager 1, peer 0, self 0 by default); none without a manager
    select
        role_points.officer_id,
        role_points.period,
        case when bool_or(role_points.assessor_role = 'manager') then
            round(sum(role_points.points * weights.weight) filter (where weights.weight > 0)
                  / nullif(sum(weights.weight) filter (where weights.weight > 0), 0), 2)
        end as general_points
    from role_points
    inner join population
        on population.officer_id = role_points.officer_id and population.period = role_points.period
    left join {{ ref('eval_assessor_weights') }} as weights
        on weights.assessor_role = role_points.assessor_role
        and weights.valid_from = (
            select max(latest.valid_from) from {{ ref('eval_assessor_weights') }} as latest
            where latest.assessor_role = role_points.assessor_role and latest.valid_from <= population.period_end)
    where role_points.period_type = 'month'
    group by 1, 2

),

month_scores as (

    select
        population.*,
        case when population.position_group <> 'unknown' then task.task_points end as task_points,
        general.general_points
    from population
    left join task on task.officer_id = population.officer_id and task.period = population.period
    left join general on general.officer_id = population.officer_id and general.period = population.period

),

failing_units as (

    -- units with a non-leader officer below the pass threshold this month
    select distinct agency_code, unit_code, period
    from month_scores
    where position_group not in ('leadership', 'unknown')
      and round(task_points + general_points, 2) < {{ eval_setting('band_pass_min', 'period_end') }}

),

month_totals as (

    select
        month_scores.*,
        case
            when month_scores.position_group = 'leadership' and failing_units.unit_code is not null
                then {{ eval_setting('leader_unit_factor_low', 'month_scores.period_end') }}
            else 1::numeric
        end as unit_factor
    from month_scores
    left join failing_units
        on failing_units.agency_code = month_scores.agency_code
        and failing_units.unit_code = month_scores.unit_code
        and failing_units.period = month_scores.period

),

months as (

    select
        officer_id,
        'month'::text as period_type,
        period,
        period_start,
        period_end,
        agency_code,
        unit_code,
        position_group,
        task_points,
        general_points,
        unit_factor,
        round(general_points + task_points * unit_factor, 2) as total_points,
        nullif(concat_ws(',',
            case when general_points is null then 'no_manager_assessment' end,
            case when task_points is null and position_group <> 'unknown' then 'no_scorable_kpi' end,
            case when position_group = 'unknown' then 'no_position' end), '') as pending_reasons,
        null::int as scored_months
    from month_totals

),

longer_periods as (

    select distinct
        months.officer_id,
        longer.period_type,
        case longer.period_type when 'quarter' then to_char(months.period_start, 'YYYY-"Q"Q')
                                else to_char(months.period_start, 'YYYY') end as period,
        date_trunc(longer.period_type, months.period_start)::date as period_start,
        (date_trunc(longer.period_type, months.period_start)
            + case longer.period_type when 'quarter' then interval '3 months' else interval '1 year' end
            - interval '1 day')::date as period_end
    from months
    cross join (values ('quarter'), ('year')) as longer(period_type)

),

longer_means as (

    select
        longer.officer_id,
        longer.period_type,
        longer.period,
        longer.period_start,
        longer.period_end,
        count(months.total_points)::int as scored_months,
        avg(months.task_points * months.unit_factor) filter (where months.total_points is not null) as task_mean,
        avg(months.general_points) filter (where months.total_points is not null) as general_mean,
        avg(months.total_points) as total_mean,
        -- the agency of the last month evaluated, for officers with no position at the period's end
        (array_agg(months.agency_code order by months.period_start desc))[1] as last_agency_code
    from longer_periods as longer
    inner join months
        on months.officer_id = longer.officer_id
        and months.period_start between longer.period_start and longer.period_end
    group by 1, 2, 3, 4, 5

),

longer as (

    select
        means.officer_id,
        means.period_type,
        means.period,
        means.period_start,
        means.period_end,
        coalesce(positions.agency_code, means.last_agency_code) as agency_code,
        positions.unit_code,
        coalesce(positions.position_group, 'unknown') as position_group,
        enough.is_enough,
        means.scored_months,
        means.task_mean,
        means.general_mean,
        means.total_mean
    from longer_means as means
    left join positions
        on positions.officer_id = means.officer_id
        and positions.period_type = means.period_type
        and positions.period = means.period
    cross join lateral (
        select means.scored_months >= case means.period_type
            when 'quarter' then {{ eval_setting('quarter_min_scored_months', 'means.period_end') }}
            else {{ eval_setting('year_min_scored_months', 'means.period_end') }} end as is_enough
    ) as enough

),

all_periods as (

    select * from months
    union all
    select
        officer_id,
        period_type,
        period,
        period_start,
        period_end,
        agency_code,
        unit_code,
        position_group,
        case when is_enough and position_group <> 'unknown' then round(task_mean, 2) end,
        case when is_enough and position_group <> 'unknown' then round(general_mean, 2) end,
        null::numeric,
        case when is_enough and position_group <> 'unknown' then round(total_mean, 2) end,
        nullif(concat_ws(',',
            case when not is_enough then 'too_few_scored_months' end,
            case when position_group = 'unknown' then 'no_position' end), ''),
        scored_months
    from longer

),

{{ eval_banded('all_periods') }}

select
    officer_id,
    period_type,
    period,
    agency_code,
    unit_code,
    position_group,
    period_start,
    period_end,
    task_points,
    general_points,
    unit_factor,
    total_points,
    band_before_quota,
    case when quota_demoted then 'good' else band_before_quota end as band,
    (case case when quota_demoted then 'good' else band_before_quota end
        when 'excellent' then 4 when 'good' then 3 when 'pass' then 2 when 'fail' then 1 end)::smallint as band_level,
    quota_demoted,
    quota_tie,
    rank_in_group,
    case when total_points is null then coalesce(pending_reasons, 'no_scorable_kpi') end as pending_reasons,
    scored_months
from quota_flags
