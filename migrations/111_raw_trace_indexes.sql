-- `motcua audit trace --verify` looks in raw for every case a figure should contain, not only the
-- cases the marts put in it: the events that name the officer (as actor or as assignee) or the
-- agency within the figure's period. Without these an officer-month check would read all of raw.
create index if not exists case_events_officer_occurred_idx on raw.case_events (officer_id, occurred_at)
    where officer_id is not null;
create index if not exists case_events_agency_occurred_idx on raw.case_events (agency_code, occurred_at);
create index if not exists case_events_assignee_occurred_idx
    on raw.case_events ((payload -> 'data' ->> 'to_officer_id'), occurred_at)
    where event_type = 'case.assigned';
