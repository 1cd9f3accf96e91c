{{ config(materialized='table', post_hook=['analyze {{ this }}']) }}
{#- The position each officer is evaluated in, per month, quarter and year of the evaluation (from
    the first eval_settings date to the as-of month): the one held on the period's last day, else
    the last one held in the period (the officer left or moved out). Officers holding no position
    in the period have no row (their activity is evaluated as position_group unknown). -#}
with

bounds as (

    select
        (select min(valid_from) from {{ ref('eval_settings') }}) as first_month,
        {{ local_month(as_of()) }} as last_month

),

months as (

    select generate_series(first_month, last_month, interval '1 month')::date as month_start
    from bounds

),

periods as (

    select distinct 'month' as period_type, to_char(month_start, 'YYYY-MM') as period, month_start as period_start,
           (month_start + interval '1 month' - interval '1 day')::date as period_end
    from months
    union
    select distinct 'quarter', to_char(month_start, 'YYYY-"Q"Q'), date_trunc('quarter', month_start)::date,
           (date_trunc('quarter', month_start) + interval '3 months' - interval '1 day')::date
    from months
    union
    select distinct 'year', to_char(month_start, 'YYYY'), date_trunc('year', month_start)::date,
           (date_trunc('year', month_start) + interval '1 year' - interval '1 day')::date
    from months

)

select distinct on (positions.officer_id, periods.period_type, periods.period)
    positions.officer_id,
    periods.period_type,
    periods.period,
    periods.period_start,
    periods.period_end,
    positions.agency_code,
    positions.unit_code,
    positions.position_code,
    positions.position_group,
    positions.valid_from as position_valid_from
from periods
inner join {{ ref('int_officer_positions') }} as positions
    on positions.valid_from <= periods.period_end
    and (positions.valid_to is null or positions.valid_to > periods.period_start)
order by positions.officer_id, periods.period_type, periods.period, positions.valid_from desc
