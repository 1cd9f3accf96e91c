{#- Events of cases whose receipt (case.received) has not arrived: kept out of the marts until it
    does (a case cannot be timed without its receipt), listed here so nothing is silently dropped. -#}
select events.*
from {{ source('motcua', 'case_events') }} as events
where not exists (
    select 1 from {{ source('motcua', 'case_events') }} as receipts
    where receipts.case_id = events.case_id and receipts.event_type = 'case.received'
)
