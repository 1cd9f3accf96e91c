{{ config(
    materialized='table',
    indexes=[{'columns': ['agency_code', 'position_group', 'period_type', 'period'], 'unique': true}],
) }}
{#- The quota arithmetic per group (agency, position group) and period: band counts before and
    after the quota, k = floor(quota_ratio x (|E| + |G|) / (1 + quota_ratio)), the demoted officers. -#}
select
    agency_code,
    position_group,
    period_type,
    period,
    max(period_end) as period_end,
    count(*)::int as officers,
    count(*) filter (where band_before_quota = 'excellent')::int as excellent_before,
    count(*) filter (where band_before_quota = 'good')::int as good_before,
    count(*) filter (where band = 'pass')::int as pass_count,
    count(*) filter (where band = 'fail')::int as fail_count,
    count(*) filter (where band = 'pending')::int as pending_count,
    {{ eval_quota_k("count(*) filter (where band_before_quota in ('excellent', 'good'))", 'max(period_end)') }} as quota_k,
    count(*) filter (where band = 'excellent')::int as excellent_after,
    count(*) filter (where band = 'good')::int as good_after,
    count(*) filter (where quota_demoted)::int as demoted,
    count(*) filter (where quota_tie)::int as tied_demoted
from {{ ref('eval_officer_period') }}
group by 1, 2, 3, 4
