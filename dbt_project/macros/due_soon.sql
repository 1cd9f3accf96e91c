{#- BI's early warning (cảnh báo sắp trễ hạn), computed at the instant of the query.

    marts.open_cases_due_soon            the view BI reads: open_cases_due_soon_at(now())
    marts.open_cases_due_soon_at(at)     the same at any instant (tests, "what did 16:00 look like")
    marts.due_soon_working_position(calendar_key, at)
                                         working seconds from the calendar's start to `at`

    They read only published marts tables (fct_due_soon_open_cases, dim_working_calendar, the seed
    due_soon_window), so BI needs nothing beyond marts. Created by the post-hook of
    fct_due_soon_open_cases in the published schema (fixed by the contract: marts). The bodies are
    plain SQL strings checked at call time (check_function_bodies off): no dependency on the
    tables, which `publish` may recreate, and the open_cases_due_soon_at() call in FROM is inlined
    by the planner, so a filter on agency_code or officer_id reaches the table's indexes. -#}
{% macro due_soon_functions() -%}
set local check_function_bodies = off;
create schema if not exists marts;
drop view if exists marts.open_cases_due_soon;
drop function if exists marts.open_cases_due_soon_at(timestamptz, numeric);
create or replace function marts.due_soon_working_position(p_calendar_key text, p_at timestamptz)
returns bigint language sql stable parallel safe as $fn$
    select (calendar.cum_seconds_before + case when calendar.is_working_day
            then {{ working_seconds_into_day(second_of_day('p_at')) }} else 0 end)::bigint
    from marts.dim_working_calendar as calendar
    where calendar.calendar_key = p_calendar_key
      and calendar.calendar_date = {{ local_date('p_at') }}
$fn$;
create function marts.open_cases_due_soon_at(p_at timestamptz, p_window_hours numeric default null)
returns table (
    case_id text, agency_code text, procedure_code text, procedure_name text, officer_id text,
    received_at timestamptz, effective_due_at timestamptz, working_minutes_left numeric,
    is_overdue boolean, window_working_hours numeric, as_of timestamptz, built_as_of timestamptz
) language sql stable parallel safe as $fn$
    with settings as (
        select coalesce(p_window_hours, (
            select w.window_working_hours from marts.due_soon_window as w
            where w.valid_from <= {{ local_date('p_at') }}
              and (w.valid_to is null or {{ local_date('p_at') }} < w.valid_to)
            order by w.valid_from desc limit 1), 8) as hours
    ),
    now_positions as (
        select calendar.calendar_key,
               calendar.cum_seconds_before + case when calendar.is_working_day
                   then {{ working_seconds_into_day(second_of_day('p_at')) }} else 0 end as position
        from marts.dim_working_calendar as calendar
        where calendar.calendar_date = {{ local_date('p_at') }}
    )
    select cases.case_id, cases.agency_code, cases.procedure_code, cases.procedure_name, cases.officer_id,
           cases.received_at, cases.effective_due_at,
           round((cases.due_position - now_positions.position) / 60.0, 2) as working_minutes_left,
           p_at > cases.effective_due_at as is_overdue,
           settings.hours as window_working_hours,
           p_at as as_of,
           cases.built_as_of
    from marts.fct_due_soon_open_cases as cases
    inner join now_positions
        on now_positions.calendar_key = cases.calendar_key
    cross join settings
    where cases.due_position <= now_positions.position + settings.hours * 3600
$fn$;
create view marts.open_cases_due_soon as
    select * from marts.open_cases_due_soon_at(now());
comment on view marts.open_cases_due_soon is
    'Cảnh báo sắp trễ hạn / Open cases not waiting for the applicant whose effective deadline is within the next N working hours (kpi_models/due_soon_window.csv, 8 by default) or has passed, as of the query: working_minutes_left (negative once working time has run past the deadline), is_overdue (the deadline instant has passed).';
grant execute on function marts.due_soon_working_position(text, timestamptz),
                          marts.open_cases_due_soon_at(timestamptz, numeric) to motcua_bi, motcua_auditor;
grant select on marts.open_cases_due_soon to motcua_bi, motcua_auditor
{%- endmacro %}
