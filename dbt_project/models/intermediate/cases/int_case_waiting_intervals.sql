{#- One row per wait for the applicant: from a return for supplementation to the resubmission
    that ends it (or to the case's completion/withdrawal, or still open). Returns issued while
    already waiting belong to the same wait (the clock cannot pause twice); returns after the case
    was closed are ignored. Ordered by occurred_at, never by arrival. -#}
with

events as (

    select case_id, event_id, event_type, occurred_at
    from {{ ref('int_case_events_scoped') }}
    where event_type in ('case.returned', 'case.resubmitted', 'case.completed', 'case.withdrawn')

),

sequenced as (

    select
        *,
        min(occurred_at) filter (where event_type = 'case.resubmitted') over later_events as next_resubmitted_at,
        min(occurred_at) filter (where event_type in ('case.completed', 'case.withdrawn')) over whole_case as case_closed_at
    from events
    window
        later_events as (partition by case_id order by occurred_at, event_id
                         rows between 1 following and unbounded following),
        whole_case as (partition by case_id)

),

returns as (

    select
        case_id,
        occurred_at as returned_at,
        case
            when next_resubmitted_at is not null
                and (case_closed_at is null or next_resubmitted_at <= case_closed_at)
                then next_resubmitted_at
            else case_closed_at
        end as waiting_until,
        case
            when next_resubmitted_at is not null
                and (case_closed_at is null or next_resubmitted_at <= case_closed_at)
                then 'resubmitted'
            when case_closed_at is not null then 'closed'
            else 'open'
        end as ended_by
    from sequenced
    where event_type = 'case.returned'
        and (case_closed_at is null or occurred_at < case_closed_at)

),

intervals as (

    select
        case_id,
        min(returned_at) as waiting_from,
        waiting_until,
        ended_by,
        count(distinct returned_at) as returns_in_interval
    from returns
    group by case_id, waiting_until, ended_by

)

select
    case_id,
    row_number() over (partition by case_id order by waiting_from) as interval_seq,
    waiting_from,
    waiting_until,
    ended_by,
    returns_in_interval
from intervals
