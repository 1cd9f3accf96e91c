{{ config(
    materialized='table',
    indexes=[{'columns': ['officer_id', 'period_type', 'period', 'event_id'], 'unique': true}],
) }}
{#- Which assessment versions gave (or did not give) the general points of each officer-period:
    every version of the period itself, and for each month the manager's quarterly and yearly
    versions covering it. reason: applied (the manager's assessment used), in_mean (a peer or
    self assessment averaged per criterion, weight per eval_assessor_weights.csv), superseded (a
    corrected, older version), unknown_criterion / missing_criterion / points_above_max (not
    usable, never clipped), other_assessment_applies (usable, but a monthly one, or a later
    manager's, applies). -#}
with

versions as (

    select * from {{ ref('stg_staff__assessments') }}
    where period_type is not null

),

targets as (

    -- the version's own period
    select versions.*, versions.period_type as target_type, versions.period as target_period
    from versions
    union all
    -- a manager's quarterly or yearly version for each month it covers
    select versions.*, 'month', to_char(month_start, 'YYYY-MM')
    from versions
    cross join lateral generate_series(versions.period_start, versions.period_end, interval '1 month') as month_start
    where versions.assessor_role = 'manager' and versions.period_type in ('quarter', 'year')

),

applied as (

    select distinct officer_id, period_type, period, assessment_event_id
    from {{ ref('int_officer_criteria_points') }}
    where assessor_role = 'manager'

)

select
    targets.officer_id,
    targets.target_type as period_type,
    targets.target_period as period,
    targets.event_id,
    targets.assessor_role,
    targets.assessor_id,
    targets.period as assessment_period,
    targets.occurred_at,
    targets.kafka_partition,
    targets.kafka_offset,
    case
        when targets.assessor_role = 'manager' then applied.assessment_event_id is not null
        else targets.is_latest and targets.is_usable
    end as used,
    case
        when targets.assessor_role = 'manager' and applied.assessment_event_id is not null then 'applied'
        when not targets.is_latest then 'superseded'
        when not targets.is_usable then targets.unusable_reason
        when targets.assessor_role <> 'manager' then 'in_mean'
        else 'other_assessment_applies'
    end as reason
from targets
left join applied
    on applied.officer_id = targets.officer_id
    and applied.period_type = targets.target_type
    and applied.period = targets.target_period
    and applied.assessment_event_id = targets.event_id
