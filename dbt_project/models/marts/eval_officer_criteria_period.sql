{{ config(
    materialized='table',
    indexes=[{'columns': ['officer_id', 'period_type', 'period', 'assessor_role', 'criterion_code'], 'unique': true}],
) }}
{#- General-criteria points per officer, period, assessor role and criterion (method v1 item 4):
    the manager's applied assessment (a month without a monthly one shows the quarterly or yearly
    one: source_period), peers' and self means (weight 0 by default, shown, not counted). -#}
select
    officer_id,
    period_type,
    period,
    assessor_role,
    criterion_code,
    points,
    max_points,
    source_period,
    assessment_event_id,
    assessments_count
from {{ ref('int_officer_criteria_points') }}
where left(period, 4)::int >= extract(year from {{ eval_first_month() }})
