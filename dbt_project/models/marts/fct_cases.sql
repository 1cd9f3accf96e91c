{#- applicant_id_hash left the marts (lineage.case_applicants): the pre-hook drops it from a table
    built before, so the next incremental run does not stop on on_schema_change='fail'. -#}
{{ config(
    pre_hook=['alter table if exists {{ this }} drop column if exists applicant_id_hash'],
    post_hook=['{{ analyze_if_new() }}'],
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='case_id',
    on_schema_change='fail',
    indexes=[
        {'columns': ['last_ingested_at']},
        {'columns': ['recompute_each_run']},
    ],
) }}
{#- (The contract's primary key on case_id gives the unique index.)
    One row per received case. Incremental: int_case_events_scoped holds only the affected
    cases' events, so this recomputes exactly those cases and replaces them by case_id.
    No applicant pseudonym here: BI reads this table; lineage.case_applicants holds it. -#}

with

cases as (

    select * from {{ ref('int_case_sla') }}

),

final as (

    select
        case_id,
        agency_code,
        procedure_code,
        procedure_name,
        sector_code,
        channel,
        processing_days,
        receiving_officer_id,
        handling_officer_id,
        completing_agency_code,
        received_at,
        {{ local_date('received_at') }} as received_date,
        clock_started_at,
        due_at,
        legal_due_at,
        is_due_beyond_legal_limit,
        effective_due_at,
        completed_at,
        {{ local_date('completed_at') }} as completed_date,
        outcome,
        withdrawn_at,
        status,
        return_count::int as return_count,
        is_repeat_return_breach,
        first_returned_at,
        first_returning_officer_id,
        first_return_reason_code,
        waiting_working_minutes,
        paused_working_minutes,
        is_waiting_for_applicant,
        extension_count::int as extension_count,
        latest_extended_due_at,
        timeliness,
        is_overdue_open,
        rating_score::int as rating_score,
        rated_at,
        complaint_count::int as complaint_count,
        sla_policy,
        event_count::int as event_count,
        last_event_at,
        last_ingested_at,
        recompute_each_run
    from cases

)

select * from final
