{{ config(
    post_hook=['analyze {{ this }}'],
    materialized='table',
    indexes=[
        {'columns': ['calendar_key', 'calendar_date'], 'unique': true},
        {'columns': ['calendar_key', 'working_day_seq']},
    ],
) }}
{#- One row per calendar key and local date. Key '*' is the national calendar; an agency with
    agency-specific overrides gets its own key (its agency_code). Precedence, highest first:
    agency override > national override > holiday list (incl. make-up Saturdays) > weekday rule.
    cum_seconds_before / working_day_seq make working-time arithmetic an O(1) lookup. -#}
{%- set day_seconds = seconds_per_working_day() %}

with

spine as (

    select day::date as calendar_date
    from generate_series('{{ var("calendar_start") }}'::date, '{{ var("calendar_end") }}'::date, interval '1 day') as day

),

holidays as (

    select
        holiday_date,
        bool_and(is_working_day) as is_working_day,
        string_agg(holiday_name, '; ' order by holiday_name) as holiday_name,
        string_agg(distinct source, '; ') as source
    from {{ ref('calendar_vn_holidays') }}
    group by holiday_date

),

overrides as (

    select
        calendar_date,
        coalesce(nullif(trim(agency_code), ''), '*') as calendar_key,
        bool_and(is_working_day) as is_working_day,
        string_agg(reason, '; ' order by reason) as reason,
        string_agg(distinct source_document, '; ') as source_document
    from {{ ref('calendar_overrides') }}
    group by 1, 2

),

calendar_keys as (

    select '*' as calendar_key
    union
    select calendar_key from overrides

),

days as (

    select
        calendar_keys.calendar_key,
        spine.calendar_date,
        extract(isodow from spine.calendar_date)::int as iso_weekday,
        coalesce(
            agency_override.is_working_day,
            national_override.is_working_day,
            holidays.is_working_day,
            extract(isodow from spine.calendar_date) < 6
        ) as is_working_day,
        case
            when agency_override.is_working_day is not null then 'agency_override'
            when national_override.is_working_day is not null then 'national_override'
            when holidays.is_working_day then 'make_up_working_day'
            when holidays.is_working_day is not null then 'public_holiday'
            when extract(isodow from spine.calendar_date) < 6 then 'weekday'
            else 'weekend'
        end as day_rule,
        holidays.holiday_name,
        coalesce(agency_override.reason, national_override.reason) as override_reason,
        coalesce(agency_override.source_document, national_override.source_document, holidays.source) as rule_source
    from calendar_keys
    cross join spine
    left join holidays
        on holidays.holiday_date = spine.calendar_date
    left join overrides as national_override
        on national_override.calendar_key = '*'
        and national_override.calendar_date = spine.calendar_date
    left join overrides as agency_override
        on agency_override.calendar_key = calendar_keys.calendar_key
        and calendar_keys.calendar_key <> '*'
        and agency_override.calendar_date = spine.calendar_date

),

cumulated as (

    select
        *,
        case when is_working_day then {{ day_seconds }} else 0 end as working_seconds,
        coalesce(sum(case when is_working_day then {{ day_seconds }} else 0 end) over before_day, 0)::bigint
            as cum_seconds_before,
        coalesce(count(*) filter (where is_working_day) over before_day, 0)::int as working_days_before
    from days
    window before_day as (
        partition by calendar_key order by calendar_date rows between unbounded preceding and 1 preceding
    )

)

select
    calendar_key,
    calendar_date,
    date_trunc('month', calendar_date)::date as month,
    iso_weekday,
    is_working_day,
    day_rule,
    holiday_name,
    override_reason,
    rule_source,
    working_seconds,
    cum_seconds_before,
    working_days_before,
    case when is_working_day then working_days_before + 1 end as working_day_seq
from cumulated
