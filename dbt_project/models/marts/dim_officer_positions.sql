{{ config(
    materialized='table',
    indexes=[{'columns': ['officer_id', 'valid_from'], 'unique': true}],
) }}
{#- Officers' job positions as a dated history (SCD type 2). No personal data: officer and manager
    ids, unit and position codes only (display names stay in the restricted raw layer). -#}
select
    officer_id,
    agency_code,
    unit_code,
    position_code,
    position_name,
    position_group,
    manager_id,
    valid_from,
    valid_to,
    is_current
from {{ ref('int_officer_positions') }}
