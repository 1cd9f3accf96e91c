{#- One row per case (of this run's scope): its receipt, completion, withdrawal, last assignee,
    latest rating and event counts, all decided by occurred_at (never arrival order), so late,
    out-of-order and duplicated deliveries give the same result. Cases whose receipt has not
    arrived yet have received_at NULL (fct_cases waits for it; lineage.orphan_case_events lists them). -#}
with

-- each CTE reads the table itself (not a shared CTE): a CTE used many times is materialized
-- without statistics and the planner would then assume 200 cases

receipts as (

    -- the first receipt; a repeated receipt (another event_id) is counted in receipt_count
    {{ case_event_pick('case.received', [
        'event_id as receipt_event_id',
        'occurred_at as received_at',
        'agency_code',
        'officer_id as receiving_officer_id',
        'procedure_code',
        'procedure_name',
        'sector_code',
        'channel',
        'processing_days',
        'due_at',
        'applicant_id_hash']) }}

),

completions as (

    {{ case_event_pick('case.completed', [
        'occurred_at as completed_at',
        'officer_id as completing_officer_id',
        'agency_code as completing_agency_code',
        'outcome']) }}

),

withdrawals as (

    {{ case_event_pick('case.withdrawn', [
        'occurred_at as withdrawn_at',
        'officer_id as withdrawing_officer_id',
        'agency_code as withdrawing_agency_code']) }}

),

assignments as (

    {{ case_event_pick('case.assigned', ['to_officer_id as last_assignee_id'], which='latest') }}

),

first_returns as (

    {{ case_event_pick('case.returned', [
        'occurred_at as first_returned_at',
        'officer_id as first_returning_officer_id',
        'return_reason_code as first_return_reason_code']) }}

),

latest_ratings as (

    {{ case_event_pick('case.rated', ['rating_score', 'occurred_at as rated_at'], which='latest') }}

),

counts as (

    select
        case_id,
        count(*) filter (where event_type = 'case.received') as receipt_count,
        -- two returns at the same instant are one return delivered twice under two event_ids
        count(distinct occurred_at) filter (where event_type = 'case.returned') as return_count,
        count(distinct occurred_at) filter (where event_type = 'case.extended') as extension_count,
        max(new_due_at) filter (where event_type = 'case.extended') as latest_extended_due_at,
        count(*) filter (where event_type = 'case.rated') as rating_event_count,
        -- a complaint has no id of its own: one re-sent under a new event_id keeps its instant and category
        count(distinct (occurred_at, coalesce(complaint_category, '')))
            filter (where event_type = 'case.complained') as complaint_count,
        min(occurred_at) as first_event_at,
        max(occurred_at) as last_event_at,
        max(ingested_at) as last_ingested_at,
        count(*) as event_count
    from {{ ref('int_case_events_scoped') }}
    group by case_id

)

select
    counts.case_id,
    receipts.receipt_event_id,
    receipts.received_at,
    receipts.agency_code,
    receipts.receiving_officer_id,
    receipts.procedure_code,
    receipts.procedure_name,
    receipts.sector_code,
    receipts.channel,
    receipts.processing_days,
    receipts.due_at,
    receipts.applicant_id_hash,
    assignments.last_assignee_id,
    completions.completed_at,
    completions.completing_officer_id,
    completions.completing_agency_code,
    completions.outcome,
    withdrawals.withdrawn_at,
    withdrawals.withdrawing_officer_id,
    withdrawals.withdrawing_agency_code,
    -- a withdrawal counts only before the result; a result after a withdrawal is ignored
    case
        when withdrawals.withdrawn_at is not null
            and (completions.completed_at is null or withdrawals.withdrawn_at < completions.completed_at)
            then 'withdrawn'
        when completions.completed_at is not null then 'completed'
        else 'open'
    end as status,
    first_returns.first_returned_at,
    first_returns.first_returning_officer_id,
    first_returns.first_return_reason_code,
    counts.return_count,
    counts.extension_count,
    counts.latest_extended_due_at,
    latest_ratings.rating_score,
    latest_ratings.rated_at,
    counts.rating_event_count,
    counts.complaint_count,
    counts.receipt_count,
    counts.first_event_at,
    counts.last_event_at,
    counts.last_ingested_at,
    counts.event_count
from counts
left join receipts using (case_id)
left join completions using (case_id)
left join withdrawals using (case_id)
left join assignments using (case_id)
left join first_returns using (case_id)
left join latest_ratings using (case_id)
