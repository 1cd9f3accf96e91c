{#- The applicant behind each case, as a keyed pseudonym (HMAC-SHA256 of the ID number on the
    first receipt, as fct_cases decides the receipt): it links one person's cases, which BI does
    not need, so it is not in the marts. Auditors only. A view over staging: every case, hashed
    with the current key when read, so a key rotation re-hashes it at once. -#}
select distinct on (events.case_id)
    events.case_id,
    events.agency_code,
    events.applicant_id_hash
from {{ ref('stg_motcua__case_events') }} as events
where events.event_type = 'case.received'
order by events.case_id, events.occurred_at, events.event_id
