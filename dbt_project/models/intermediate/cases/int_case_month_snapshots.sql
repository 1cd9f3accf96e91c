{#- OpenCPS-style state of each open case at the end of every month it was open (and at the
    build's as-of instant for the current month): waiting for the applicant, overdue, or within
    its deadline. A case is overdue at t when it is open, not waiting, and t is past the deadline
    in force at t: the one the waits for the applicant before t have moved it to.

    That is the final effective deadline, except in one case: a wait that starts at or after t
    but still moves the deadline. The rule of int_case_sla (macros/sla_waits.sql) compares working
    positions, so a return in the non-working time right after a deadline (Friday 17:00, returned
    on the Saturday) still moves it; a month ending in that gap must not see that later move.
    For those snapshots the deadline in force is recomputed from the waits before t, as
    int_case_flag_events does for the events it measures; the state is then what a build at t
    published, and stays so on later rebuilds. -#}
with

cases as (

    -- the received cases in this run's scope (all on a full build, the affected ones on an
    -- incremental run): int_case_sla is scoped already, and fct_cases is a copy of it
    select
        sla.case_id,
        sla.agency_code,
        sla.handling_officer_id,
        sla.received_at,
        sla.effective_due_at,
        coalesce(sla.completed_at, sla.withdrawn_at) as closed_at,
        {{ sla_wait_inputs() }}
    from {{ ref('int_case_sla') }} as sla
    {{ sla_due_day_join() }}

),

{{ sla_wait_ctes('cases') }},

moving_waits as (

    select * from wait_effects where moves_deadline

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
        months.calendar_key,
        months.sla_policy,
        months.due_at,
        months.due_position,
        months.legal_limit_seconds,
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
    group by 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11

),

moved_later as (

    -- snapshots whose final deadline was moved by a wait that starts at or after them
    select
        snapshots.case_id,
        snapshots.month,
        case
            when snapshots.sla_policy = 'restart'
                then coalesce(max(waits.until_position) filter (where waits.waiting_from < snapshots.snapshot_at)
                              + snapshots.legal_limit_seconds, snapshots.due_position)
            else snapshots.due_position
                 + coalesce(sum(waits.wait_seconds) filter (where waits.waiting_from < snapshots.snapshot_at), 0)
        end as deadline_position
    from open_at_snapshot as snapshots
    inner join moving_waits as waits
        on waits.case_id = snapshots.case_id
    where not snapshots.is_waiting
    group by snapshots.case_id, snapshots.month, snapshots.sla_policy, snapshots.legal_limit_seconds,
             snapshots.due_position, snapshots.snapshot_at
    having bool_or(waits.waiting_from >= snapshots.snapshot_at)

),

in_force as (

    select
        open_at_snapshot.*,
        case
            when moved_later.case_id is null then open_at_snapshot.effective_due_at
            when moved_later.deadline_position = open_at_snapshot.due_position then open_at_snapshot.due_at
            else {{ instant_at_position('moved_later.deadline_position', 'deadline_day', 'end') }}
        end as due_in_force_at
    from open_at_snapshot
    left join moved_later
        on moved_later.case_id = open_at_snapshot.case_id
        and moved_later.month = open_at_snapshot.month
    left join {{ ref('int_calendar_days') }} as deadline_day
        on deadline_day.calendar_key = open_at_snapshot.calendar_key
        and deadline_day.working_day_seq = {{ working_day_seq_for('moved_later.deadline_position', 'end') }}

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
        when snapshot_at > due_in_force_at then 'open_overdue'
        else 'open_within_deadline'
    end as open_state
from in_force
