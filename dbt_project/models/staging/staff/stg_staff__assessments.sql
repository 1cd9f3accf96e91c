{#- Every officer.assessed version with its period, whether it is the latest of its (officer, period,
    assessor role, assessor) and whether it is usable: its criteria must be exactly those of the
    criteria catalogue version valid on the period's last day (eval_criteria), each within its
    maximum. An unusable version is reported, never clipped. Latest: greatest occurred_at, ties by
    the later Kafka position (contract: corrections). -#}
with

source as (

    select * from {{ source('staff', 'staff_events') }}
    where event_type = 'officer.assessed' and schema_version = 1

),

renamed as (

    select
        event_id,
        officer_id,
        agency_code,
        payload -> 'data' ->> 'period' as period,
        payload -> 'data' ->> 'assessor_id' as assessor_id,
        payload -> 'data' ->> 'assessor_role' as assessor_role,
        occurred_at,
        kafka_partition,
        kafka_offset
    from source

),

periods as (

    select
        renamed.*,
        case
            when period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' then 'month'
            when period ~ '^[0-9]{4}-Q[1-4]$' then 'quarter'
            when period ~ '^[0-9]{4}$' then 'year'
        end as period_type,
        case
            when period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$' then to_date(period || '-01', 'YYYY-MM-DD')
            when period ~ '^[0-9]{4}-Q[1-4]$'
                then make_date(left(period, 4)::int, (right(period, 1)::int - 1) * 3 + 1, 1)
            when period ~ '^[0-9]{4}$' then make_date(period::int, 1, 1)
        end as period_start
    from renamed

),

bounded as (

    select
        periods.*,
        (period_start + case period_type when 'month' then interval '1 month'
                                         when 'quarter' then interval '3 months'
                                         else interval '1 year' end - interval '1 day')::date as period_end
    from periods

),

catalogue as (

    -- the catalogue version valid on each period's last day
    select
        bounded.event_id,
        (select criteria.version from {{ ref('eval_criteria') }} as criteria
         where criteria.valid_from <= bounded.period_end
         order by criteria.valid_from desc limit 1) as criteria_version
    from bounded

),

checked as (

    select
        catalogue.event_id,
        catalogue.criteria_version,
        -- a criterion sent that the catalogue does not know (or sent twice)
        exists (
            select 1 from {{ ref('stg_staff__assessment_criteria') }} as sent
            left join {{ ref('eval_criteria') }} as known
                on known.criterion_code = sent.criterion_code and known.version = catalogue.criteria_version
            where sent.event_id = catalogue.event_id
            group by sent.criterion_code, known.criterion_code
            having known.criterion_code is null or count(*) > 1
        ) as has_unknown,
        exists (
            select 1 from {{ ref('eval_criteria') }} as known
            where known.version = catalogue.criteria_version
              and not exists (select 1 from {{ ref('stg_staff__assessment_criteria') }} as sent
                              where sent.event_id = catalogue.event_id and sent.criterion_code = known.criterion_code
                                and sent.points is not null)
        ) as has_missing,
        exists (
            select 1 from {{ ref('stg_staff__assessment_criteria') }} as sent
            inner join {{ ref('eval_criteria') }} as known
                on known.criterion_code = sent.criterion_code and known.version = catalogue.criteria_version
            where sent.event_id = catalogue.event_id and sent.points > known.max_points
        ) as has_above_max,
        (select sum(sent.points) from {{ ref('stg_staff__assessment_criteria') }} as sent
         where sent.event_id = catalogue.event_id) as points_total
    from catalogue

)

select
    bounded.event_id,
    bounded.officer_id,
    bounded.agency_code,
    bounded.period,
    bounded.period_type,
    bounded.period_start,
    bounded.period_end,
    bounded.assessor_id,
    bounded.assessor_role,
    bounded.occurred_at,
    bounded.kafka_partition,
    bounded.kafka_offset,
    checked.criteria_version,
    checked.points_total,
    row_number() over (
        partition by bounded.officer_id, bounded.period, bounded.assessor_role, bounded.assessor_id
        order by bounded.occurred_at desc, bounded.kafka_partition desc, bounded.kafka_offset desc
    ) = 1 as is_latest,
    not (checked.has_unknown or checked.has_missing or checked.has_above_max)
        and checked.criteria_version is not null as is_usable,
    case
        when checked.criteria_version is null then 'unknown_criterion'
        when checked.has_unknown then 'unknown_criterion'
        when checked.has_missing then 'missing_criterion'
        when checked.has_above_max then 'points_above_max'
    end as unusable_reason
from bounded
inner join checked on checked.event_id = bounded.event_id
