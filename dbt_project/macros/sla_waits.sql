{#- The waits for the applicant of each case, in working-time positions, and whether each moved
    the deadline (docs/domain/sla-clock.md): the CTEs `waits`, `wait_lengths` and `wait_effects`
    (one row per wait: from_position, until_position, wait_seconds, waited_before,
    previous_until_position, moves_deadline), without a trailing comma.
    `cases` names a relation with one row per case: case_id, calendar_key, due_position,
    legal_limit_seconds, sla_policy. int_case_sla sums them into the effective deadline;
    int_case_flag_events reads the moving ones to find the deadline in force at each event, so
    both apply the one rule. -#}
{% macro sla_wait_ctes(cases) -%}
waits as (

    select
        intervals.case_id,
        intervals.interval_seq,
        intervals.waiting_from,
        intervals.waiting_until,
        intervals.ended_by,
        {{ cases }}.due_position,
        {{ cases }}.legal_limit_seconds,
        {{ cases }}.sla_policy,
        {{ working_position('intervals.waiting_from', 'from_day') }} as from_position,
        {{ working_position('coalesce(intervals.waiting_until, ' ~ as_of() ~ ')', 'until_day') }} as until_position
    from {{ ref('int_case_waiting_intervals') }} as intervals
    inner join {{ cases }}
        on {{ cases }}.case_id = intervals.case_id
    left join {{ ref('int_calendar_days') }} as from_day
        on from_day.calendar_key = {{ cases }}.calendar_key
        and from_day.calendar_date = {{ local_date('intervals.waiting_from') }}
    left join {{ ref('int_calendar_days') }} as until_day
        on until_day.calendar_key = {{ cases }}.calendar_key
        and until_day.calendar_date = {{ local_date('coalesce(intervals.waiting_until, ' ~ as_of() ~ ')') }}

),

wait_lengths as (

    select
        *,
        greatest(until_position - from_position, 0) as wait_seconds,
        coalesce(sum(greatest(until_position - from_position, 0)) over earlier_waits, 0) as waited_before,
        lag(until_position) over (partition by case_id order by interval_seq) as previous_until_position
    from waits
    window earlier_waits as (partition by case_id order by interval_seq
                             rows between unbounded preceding and 1 preceding)

),

wait_effects as (

    select
        *,
        -- waits form a sequence: once one starts after the (moved) deadline, so do all later ones
        bool_and(
            case
                when sla_policy = 'restart'
                    then from_position <= coalesce(previous_until_position + legal_limit_seconds, due_position)
                else from_position <= due_position + waited_before
            end
        ) over (partition by case_id order by interval_seq rows between unbounded preceding and current row)
            as moves_deadline
    from wait_lengths

)
{%- endmacro %}


{#- What sla_wait_ctes needs of a case, read back from int_case_sla (aliased `sla`) by a model
    that applies the rule again at other instants (int_case_flag_events, int_case_month_snapshots):
    the columns, then the calendar join they use. -#}
{% macro sla_wait_inputs() -%}
        sla.calendar_key,
        sla.sla_policy,
        sla.due_at,
        sla.processing_days * {{ seconds_per_working_day() }} as legal_limit_seconds,
        {{ working_position('sla.due_at', 'due_day') }} as due_position
{%- endmacro %}

{% macro sla_due_day_join() -%}
    left join {{ ref('int_calendar_days') }} as due_day
        on due_day.calendar_key = sla.calendar_key
        and due_day.calendar_date = {{ local_date('sla.due_at') }}
{%- endmacro %}
