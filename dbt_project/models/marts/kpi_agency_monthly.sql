{{ config(
    materialized='table',
    post_hook=['{{ queue_publish_on_config_change() }}'],
    indexes=[{'columns': ['agency_code', 'month'], 'unique': true}],
) }}
{#- The published agency KPIs per month: the incremental measures (kpi_agency_monthly_measures) with
    each KPI's versioned target and whether it was met, joined at read time (kpi_models/kpi_targets.csv):
    a changed target re-scores every month at the next run, no --full-refresh. -#}
-- depends_on: {{ ref('scorecard_weights') }}

{{ kpi_with_targets('kpi_agency_monthly_measures') }}
