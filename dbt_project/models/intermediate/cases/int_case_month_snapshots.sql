{#- OpenCPS-style state of each open case at the end of every month it was open (and at the
    build's as-of instant for the current month): waiting for the applicant, overdue, or within
    its deadline. A case is overdue at t when it is open, not waiting, and t is past its
    effective deadline (a wait that starts later cannot move a deadline already passed, so the
    final effective deadline is the one in force at t). -#}
with

cases as (

    -- the received cases in this run's scope (all on a full build, the affected ones on an
    -- incremental run): int_case_sla is scoped already, and fct_cases is a copy of it
    select case_id, agency_code, handling_officer_id, received_at, effective_due_at,
           coalesce(completed_at, withdrawn_at) as closed_at
    from {{ ref('int_case_sla') }}

),

intervals as (

    select * from {{ ref('int_case_waiting_intervals') }}

),

months as (

    select
        cases.*,
        month::date as month,
        least(
            (month + interval '1 month') at time zone {{ tz() }},  -- local midnight -> instant
            {{ as_of() }}
        ) as snapshot_at
    from cases
    cross join lateral generate_series(
        {{ local_month('cases.received_at') }}::timestamp,
        {{ local_month('least(coalesce(cases.closed_at, ' ~ as_of() ~ '), ' ~ as_of() ~ ')') }}::timestamp,
        interval '1 month'
    ) as month

),

open_at_snapshot as (

    select
        months.case_id,
        months.agency_code,
        months.handling_officer_id,
        months.month,
        months.snapshot_at,
        months.effective_due_at,
        count(intervals.case_id) > 0 as is_waiting
    from months
    left join intervals
        on intervals.case_id = months.case_id
        and intervals.waiting_from < months.snapshot_at
        and (intervals.waiting_until is null or intervals.waiting_until >= months.snapshot_at)
    where months.received_at < months.snapshot_at
      and (months.closed_at is null or months.closed_at >= months.snapshot_at)
      -- an as-of instant at the very start of a month gives that month no snapshot yet
      and months.snapshot_at > months.month::timestamp at time zone {{ tz() }}
    group by 1, 2, 3, 4, 5, 6

)

select
    case_id,
    agency_code,
    handling_officer_id,
    month,
    snapshot_at,
    {{ local_date("snapshot_at - interval '1 microsecond'") }} as snapshot_date,
    case
        when is_waiting then 'waiting_for_applicant'
        when snapshot_at > effective_due_at then 'open_overdue'
        else 'open_within_deadline'
    end as open_state
from open_at_snapshot
