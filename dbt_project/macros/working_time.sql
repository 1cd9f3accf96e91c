{#- Working-time arithmetic on the calendar model (int_calendar_days), in O(1) per lookup.

    A "working position" is the number of working seconds elapsed since the start of the
    calendar up to an instant: cum_seconds_before(local date) + working seconds already elapsed
    that day. Minutes between two instants = difference of positions / 60; "instant + N working
    minutes" = the instant whose position is p + 60 N, found with an equality join on the working
    day's ordinal (all working days have the same office hours, so the day holding position p is
    working day number ceil(p / seconds_per_day)). No per-day loop per case, ever.
    All calendar logic is in local time (var timezone, Asia/Ho_Chi_Minh); instants stay timestamptz. -#}

{% macro tz() -%}'{{ var("timezone") }}'{%- endmacro %}

{#- Local wall-clock timestamp of an instant. -#}
{% macro local_ts(ts) -%}(({{ ts }}) at time zone {{ tz() }}){%- endmacro %}
{% macro local_date(ts) -%}(({{ ts }}) at time zone {{ tz() }})::date{%- endmacro %}
{% macro local_month(ts) -%}date_trunc('month', ({{ ts }}) at time zone {{ tz() }})::date{%- endmacro %}

{#- The build's as-of instant: var as_of, else env MOTCUA_AS_OF, else the invocation start (fixed
    for the whole run). The environment variable is read only at execution (not while parsing),
    so changing it between nightly runs keeps dbt's partial parsing (a changed --vars does not). -#}
{% macro as_of() -%}
  {%- if var('as_of') is not none -%}'{{ var("as_of") }}'::timestamptz
  {%- elif execute and env_var('MOTCUA_AS_OF', '') != '' -%}'{{ env_var("MOTCUA_AS_OF") }}'::timestamptz
  {%- else -%}'{{ run_started_at.isoformat() }}'::timestamptz{%- endif -%}
{%- endmacro %}

{#- Office periods as [(start_second, end_second), ...] of the local day, from var office_hours. -#}
{% macro office_periods() %}
  {%- set periods = [] -%}
  {%- for p in var('office_hours') -%}
    {%- set a = p[0].split(':') -%}{%- set b = p[1].split(':') -%}
    {%- do periods.append([a[0] | int * 3600 + a[1] | int * 60, b[0] | int * 3600 + b[1] | int * 60]) -%}
  {%- endfor -%}
  {{ return(periods) }}
{% endmacro %}

{% macro seconds_per_working_day() -%}
  {%- set ns = namespace(total=0) -%}
  {%- for p in office_periods() -%}{%- set ns.total = ns.total + p[1] - p[0] -%}{%- endfor -%}
  {{ ns.total }}
{%- endmacro %}

{#- Working seconds elapsed on a working day by local second-of-day `sod`. -#}
{% macro working_seconds_into_day(sod) -%}
  ({%- for p in office_periods() -%}
    greatest(0, least({{ sod }}, {{ p[1] }}) - {{ p[0] }}){% if not loop.last %} + {% endif %}
  {%- endfor -%})
{%- endmacro %}

{% macro second_of_day(ts) -%}extract(epoch from (({{ ts }}) at time zone {{ tz() }})::time){%- endmacro %}

{#- Position of instant `ts`, given `cal` = the calendar row of its local date (joined by the caller). -#}
{% macro working_position(ts, cal) -%}
  ({{ cal }}.cum_seconds_before + case when {{ cal }}.is_working_day
      then {{ working_seconds_into_day(second_of_day(ts)) }} else 0 end)
{%- endmacro %}

{#- Ordinal of the working day holding position p. `end` convention: a position on a day
    boundary belongs to the earlier day (a deadline at 17:00, not 08:00 next day); `start`
    convention: to the later day (a clock that starts at 08:00 next day). -#}
{% macro working_day_seq_for(p, convention='end') -%}
  {%- if convention == 'end' -%}ceil(({{ p }}) / {{ seconds_per_working_day() }}.0)::int
  {%- else -%}(floor(({{ p }}) / {{ seconds_per_working_day() }}.0)::int + 1){%- endif -%}
{%- endmacro %}

{#- The instant of position p, given `cal` = the calendar row joined on
    working_day_seq = working_day_seq_for(p, convention). -#}
{% macro instant_at_position(p, cal, convention='end') -%}
  {%- set r -%}(({{ p }}) - {{ cal }}.cum_seconds_before){%- endset -%}
  ((({{ cal }}.calendar_date + make_interval(secs => (case
  {%- set ns = namespace(before=0) -%}
  {%- for per in office_periods() -%}
    {%- set length = per[1] - per[0] %}
      when {{ r }} {{ '<=' if convention == 'end' else '<' }} {{ ns.before + length }} then {{ per[0] }} + {{ r }} - {{ ns.before }}
    {%- set ns.before = ns.before + length -%}
  {%- endfor %}
  end)::double precision)) at time zone {{ tz() }}))
{%- endmacro %}

{#- Calendar key of an agency: its own calendar when it has agency-specific overrides, else
    the national one ('*'). -#}
{% macro calendar_key_for(agency_code) -%}
  case when {{ agency_code }} in (select calendar_key from {{ ref('int_calendar_days') }} where calendar_key <> '*')
       then {{ agency_code }} else '*' end
{%- endmacro %}

{#- Working days of the agency's calendar in the month starting `month_expr` (a scalar
    subquery: the monthly KPI tables' working_days), from `from_date` on when given (a month the
    history starts in counts only its covered days). -#}
{% macro working_days_in_month(agency_code, month_expr, from_date=none) -%}
  (
            select count(*) filter (where calendar.is_working_day)
            from {{ ref('int_calendar_days') }} as calendar
            where calendar.calendar_key = {{ calendar_key_for(agency_code) }}
              and calendar.month = {{ month_expr }}
              {%- if from_date is not none %}
              and calendar.calendar_date >= {{ from_date }}
              {%- endif %}
        )::int
{%- endmacro %}
