{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- General-criteria points per officer, period, assessor role and criterion, from the latest usable
    assessment versions (stg_staff__assessments):
    - manager, month periods: the monthly assessment, else the quarterly one covering the month,
      else the yearly one (several managers: the latest recorded); source_period says which;
    - manager, quarter and year periods: the assessment of that very period;
    - peer and self: the mean of each criterion over the assessors of that very period.
    A latest version that is unusable is not replaced by an older one (it was corrected into an
    unusable state): the period falls back to the longer period's assessment, else has none. -#}
with

usable as (

    select * from {{ ref('stg_staff__assessments') }}
    where is_latest and is_usable

),

manager_month_candidates as (

    select
        usable.officer_id,
        'month' as period_type,
        to_char(month_start, 'YYYY-MM') as period,
        usable.event_id,
        usable.period as source_period,
        usable.criteria_version,
        case usable.period_type when 'month' then 0 when 'quarter' then 1 else 2 end as priority,
        usable.occurred_at,
        usable.kafka_partition,
        usable.kafka_offset
    from usable
    cross join lateral generate_series(usable.period_start, usable.period_end, interval '1 month') as month_start
    where usable.assessor_role = 'manager'

),

manager_own_candidates as (

    select
        officer_id, period_type, period, event_id, period as source_period, criteria_version,
        0 as priority, occurred_at, kafka_partition, kafka_offset
    from usable
    where assessor_role = 'manager' and period_type in ('quarter', 'year')

),

manager_applied as (

    select distinct on (officer_id, period_type, period) *
    from (select * from manager_month_candidates union all select * from manager_own_candidates) as candidates
    order by officer_id, period_type, period, priority, occurred_at desc, kafka_partition desc, kafka_offset desc

),

manager_rows as (

    select
        applied.officer_id,
        applied.period_type,
        applied.period,
        'manager' as assessor_role,
        criteria.criterion_code,
        criteria.points,
        catalogue.max_points,
        applied.source_period,
        applied.event_id as assessment_event_id,
        1 as assessments_count
    from manager_applied as applied
    inner join {{ ref('stg_staff__assessment_criteria') }} as criteria on criteria.event_id = applied.event_id
    inner join {{ ref('eval_criteria') }} as catalogue
        on catalogue.criterion_code = criteria.criterion_code and catalogue.version = applied.criteria_version

),

others as (

    select
        usable.officer_id,
        usable.period_type,
        usable.period,
        usable.assessor_role,
        criteria.criterion_code,
        round(avg(criteria.points), 2) as points,
        max(catalogue.max_points) as max_points,
        usable.period as source_period,
        null::uuid as assessment_event_id,
        count(distinct usable.event_id)::int as assessments_count
    from usable
    inner join {{ ref('stg_staff__assessment_criteria') }} as criteria on criteria.event_id = usable.event_id
    inner join {{ ref('eval_criteria') }} as catalogue
        on catalogue.criterion_code = criteria.criterion_code and catalogue.version = usable.criteria_version
    where usable.assessor_role in ('peer', 'self')
    group by usable.officer_id, usable.period_type, usable.period, usable.assessor_role, criteria.criterion_code

)

select * from manager_rows
union all
select * from others
