{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{% if is_incremental() %}delete from {{ this }} where (agency_code, month) in
                (select agency_code, month from {{ ref('int_fairness_months_touched') }}){% endif %}"],
    post_hook=['{{ analyze_if_new() }}', '{{ record_fairness_config() }}'],
    indexes=[{'columns': ['officer_id', 'agency_code', 'month'], 'unique': true},
             {'columns': ['agency_code', 'month']}],
) }}
{#- Per officer, agency and month (docs/domain/fairness-and-early-warning.md):
    - the gaming flags of fct_case_flags: count, the cases they were checked on, the rate, the
      median rate of the officer's group and the officer's rate minus it (shown, never scored);
    - case mix of the officer's completions (attributed like the KPIs: completing officer,
      completing agency, completion month): converted throughput (Σ procedure complexity weights ÷
      working days), the expected on-time rate (the mean, over the officer's completed cases, of
      the agency's on-time rate for the case's procedure in that month), the case-mix index
      (observed ÷ expected), the percentile rank in the group;
    - Wilson 95% intervals of the on-time rate and of the first-pass return rate (receiving
      officer, receipt agency, receipt month, like the KPI), with a small-sample mark below
      min_cases.
    The group is the agency × position group: the position held on the month's last day (staff
    topic, int_officer_period_positions), 'unknown' for activity without a known position.
    Incremental by agency-month: a group's median, an agency's per-procedure on-time rate and the
    percentile ranks move with every officer of the agency-month, so an incremental run deletes
    and recomputes whole agency-months, those int_fairness_months_touched lists (this run's
    cases, changed position groups or history start, changed thresholds or weights: every
    month), and equals a full refresh. The thresholds (min_cases, z) in force on the month's first
    day apply. -#}
-- depends_on: {{ ref('int_fairness_months_touched') }}
{%- set flags = fairness_flags() %}
{%- set attribution = fairness_flag_attribution() %}

with

thresholds as (

    {{ fairness_threshold_periods() }}

),
{%- if is_incremental() %}

touched as (

    select agency_code, month from {{ ref('int_fairness_months_touched') }}

),
{%- endif %}

flag_rows as (

    {%- for flag in flags %}
    {%- set who = attribution[flag] %}
    select
        '{{ flag }}' as flag,
        {{ who }}_officer_id as officer_id,
        {{ who }}_agency_code as agency_code,
        date_trunc('month', {{ who }}_date)::date as month,
        {{ flag }} as flagged
    from {{ ref('fct_case_flags') }}
    where {{ flag }} is not null and {{ who }}_officer_id is not null
    {%- if is_incremental() %}
      and ({{ who }}_agency_code, date_trunc('month', {{ who }}_date)::date) in (select agency_code, month from touched)
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

flag_counts as (

    select
        officer_id,
        agency_code,
        month,
        {{- fairness_flag_count_columns(flags) }}
    from flag_rows
    group by 1, 2, 3

),

completed as (

    select
        cases.case_id,
        cases.handling_officer_id as officer_id,
        cases.completing_agency_code as agency_code,
        date_trunc('month', cases.completed_date)::date as month,
        cases.procedure_code,
        cases.completed_date,
        cases.timeliness in ('early', 'on_time') as is_on_time
    from {{ ref('fct_cases') }} as cases
    where cases.status = 'completed'
    {%- if is_incremental() %}
      and (cases.completing_agency_code, date_trunc('month', cases.completed_date)::date)
          in (select agency_code, month from touched)
    {%- endif %}

),

complexity as (

    -- a weight applies from its valid_from until the procedure's next row
    select
        procedure_code,
        weight,
        valid_from,
        lead(valid_from) over (partition by procedure_code order by valid_from) as valid_to
    from {{ ref('procedure_complexity') }}

),

procedure_rates as (

    -- the agency's on-time rate per procedure and month (every completing officer counts)
    select
        agency_code,
        month,
        procedure_code,
        avg(is_on_time::int::numeric) as procedure_on_time_rate
    from completed
    group by 1, 2, 3

),

weighted as (

    select
        completed.*,
        procedure_rates.procedure_on_time_rate,
        coalesce(complexity.weight, 1.0) as weight
    from completed
    inner join procedure_rates
        on procedure_rates.agency_code = completed.agency_code
        and procedure_rates.month = completed.month
        and procedure_rates.procedure_code = completed.procedure_code
    left join complexity
        on complexity.procedure_code = completed.procedure_code
        and completed.completed_date >= complexity.valid_from
        and (complexity.valid_to is null or completed.completed_date < complexity.valid_to)
    where completed.officer_id is not null

),

completions as (

    select
        officer_id,
        agency_code,
        month,
        count(*)::int as cases_completed,
        count(*) filter (where is_on_time)::int as cases_completed_on_time,
        sum(weight) as weighted_completed,
        avg(procedure_on_time_rate) as expected_on_time_exact
    from weighted
    group by 1, 2, 3

),

receipts as (

    select
        receiving_officer_id as officer_id,
        agency_code,
        date_trunc('month', received_date)::date as month,
        count(*)::int as cases_received,
        count(*) filter (where return_count >= 1)::int as cases_returned_first_pass
    from {{ ref('fct_cases') }}
    where receiving_officer_id is not null
    {%- if is_incremental() %}
      and (agency_code, date_trunc('month', received_date)::date) in (select agency_code, month from touched)
    {%- endif %}
    group by 1, 2, 3

),

keys as (

    select officer_id, agency_code, month from flag_counts
    union
    select officer_id, agency_code, month from completions
    union
    select officer_id, agency_code, month from receipts

),

officer_groups as (

    -- the position group of each officer-month: the position the evaluation uses for the month
    -- (held on its last day, from the staff topic); activity without a known position: 'unknown'
    select keys.officer_id, keys.agency_code, keys.month,
           coalesce(positions.position_group, 'unknown') as position_group
    from keys
    left join {{ ref('int_officer_period_positions') }} as positions
        on positions.officer_id = keys.officer_id
        and positions.period_type = 'month'
        and positions.period_start = keys.month

),

measured as (

    select
        keys.officer_id,
        keys.agency_code,
        keys.month,
        officer_groups.position_group,
        {%- for flag in flags %}
        coalesce(flag_counts.{{ flag }}_count, 0) as {{ flag }}_count,
        coalesce(flag_counts.{{ flag }}_checked, 0) as {{ flag }}_checked,
        flag_counts.{{ flag }}_count::numeric / nullif(flag_counts.{{ flag }}_checked, 0) as {{ flag }}_rate_exact,
        {%- endfor %}
        coalesce(completions.cases_completed, 0) as cases_completed,
        coalesce(completions.cases_completed_on_time, 0) as cases_completed_on_time,
        completions.cases_completed_on_time::numeric / nullif(completions.cases_completed, 0) as on_time_rate_exact,
        coalesce(completions.weighted_completed, 0) as weighted_completed,
        completions.expected_on_time_exact,
        coalesce(receipts.cases_received, 0) as cases_received,
        coalesce(receipts.cases_returned_first_pass, 0) as cases_returned_first_pass,
        coalesce(min_cases.value, 5) as min_cases,
        coalesce(wilson_z.value, 1.959964) as wilson_z,
        {{ covered_from('keys.month') }} as covered_from,
        {{ working_days_in_month('keys.agency_code', 'keys.month', covered_from('keys.month')) }} as working_days
    from keys
    inner join officer_groups
        on officer_groups.officer_id = keys.officer_id
        and officer_groups.agency_code = keys.agency_code
        and officer_groups.month = keys.month
    cross join {{ ref('int_history_coverage') }} as coverage
    left join flag_counts
        on flag_counts.officer_id = keys.officer_id
        and flag_counts.agency_code = keys.agency_code
        and flag_counts.month = keys.month
    left join completions
        on completions.officer_id = keys.officer_id
        and completions.agency_code = keys.agency_code
        and completions.month = keys.month
    left join receipts
        on receipts.officer_id = keys.officer_id
        and receipts.agency_code = keys.agency_code
        and receipts.month = keys.month
    {{ fairness_threshold_join('thresholds', 'min_cases', 'min_cases', 'keys.month') }}
    {{ fairness_threshold_join('thresholds', 'wilson_z', 'wilson_z', 'keys.month') }}

),

indexed as (

    select
        *,
        on_time_rate_exact / nullif(expected_on_time_exact, 0) as case_mix_index_exact
    from measured

),

group_medians as (

    -- medians over the officers of the group with at least one case behind the rate
    select
        agency_code,
        position_group,
        month,
        {%- for flag in flags %}
        percentile_cont(0.5) within group (order by {{ flag }}_rate_exact)
            filter (where {{ flag }}_checked > 0) as {{ flag }}_group_median,
        {%- endfor %}
        percentile_cont(0.5) within group (order by on_time_rate_exact)
            filter (where cases_completed > 0) as on_time_rate_group_median,
        count(*) filter (where cases_completed > 0)::int as group_officers_completing
    from indexed
    group by 1, 2, 3

),

ranked as (

    -- percentile rank in the group (0 = lowest, 1 = highest) among officers who completed cases
    select
        officer_id,
        agency_code,
        month,
        percent_rank() over (partition by agency_code, position_group, month order by on_time_rate_exact)
            as on_time_rate_percentile,
        case when case_mix_index_exact is not null then
            percent_rank() over (partition by agency_code, position_group, month, case_mix_index_exact is null
                                 order by case_mix_index_exact)
        end as case_mix_index_percentile
    from indexed
    where cases_completed > 0

)

select
    indexed.officer_id,
    indexed.agency_code,
    indexed.month,
    indexed.position_group,
    {%- for flag in flags %}
    indexed.{{ flag }}_count,
    indexed.{{ flag }}_checked,
    round(indexed.{{ flag }}_rate_exact, 4)::numeric(7,4) as {{ flag }}_rate,
    round(group_medians.{{ flag }}_group_median::numeric, 4)::numeric(7,4) as {{ flag }}_group_median,
    round(indexed.{{ flag }}_rate_exact - group_medians.{{ flag }}_group_median::numeric, 4)::numeric(7,4)
        as {{ flag }}_rate_minus_median,
    {%- endfor %}
    indexed.cases_completed,
    indexed.cases_completed_on_time,
    round(indexed.on_time_rate_exact, 4)::numeric(7,4) as on_time_rate,
    {{ wilson_bound('indexed.cases_completed_on_time', 'indexed.cases_completed', 'indexed.wilson_z', 'lower') }}::numeric(7,4)
        as on_time_rate_lower,
    {{ wilson_bound('indexed.cases_completed_on_time', 'indexed.cases_completed', 'indexed.wilson_z', 'upper') }}::numeric(7,4)
        as on_time_rate_upper,
    indexed.cases_completed < indexed.min_cases as is_on_time_small_sample,
    round(group_medians.on_time_rate_group_median::numeric, 4)::numeric(7,4) as on_time_rate_group_median,
    round(ranked.on_time_rate_percentile::numeric, 4)::numeric(7,4) as on_time_rate_percentile,
    round(indexed.expected_on_time_exact, 4)::numeric(7,4) as expected_on_time_rate,
    round(indexed.case_mix_index_exact, 4)::numeric(12,4) as case_mix_index,
    round(ranked.case_mix_index_percentile::numeric, 4)::numeric(7,4) as case_mix_index_percentile,
    group_medians.group_officers_completing,
    round(indexed.weighted_completed, 4)::numeric(14,4) as weighted_completed,
    indexed.working_days,
    round(indexed.weighted_completed / nullif(indexed.working_days, 0), 4)::numeric(12,4) as converted_throughput,
    indexed.cases_received,
    indexed.cases_returned_first_pass,
    round(indexed.cases_returned_first_pass::numeric / nullif(indexed.cases_received, 0), 4)::numeric(7,4)
        as first_pass_return_rate,
    {{ wilson_bound('indexed.cases_returned_first_pass', 'indexed.cases_received', 'indexed.wilson_z', 'lower') }}::numeric(7,4)
        as first_pass_return_rate_lower,
    {{ wilson_bound('indexed.cases_returned_first_pass', 'indexed.cases_received', 'indexed.wilson_z', 'upper') }}::numeric(7,4)
        as first_pass_return_rate_upper,
    indexed.cases_received < indexed.min_cases as is_first_pass_return_small_sample,
    indexed.min_cases::int as min_cases,
    indexed.covered_from,
    indexed.covered_from > indexed.month as is_partial_period
from indexed
inner join group_medians
    on group_medians.agency_code = indexed.agency_code
    and group_medians.position_group = indexed.position_group
    and group_medians.month = indexed.month
left join ranked
    on ranked.officer_id = indexed.officer_id
    and ranked.agency_code = indexed.agency_code
    and ranked.month = indexed.month
