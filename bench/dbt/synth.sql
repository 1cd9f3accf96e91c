-- Synthetic raw case events for the dbt benchmark, generated in SQL (generate_series), run as
-- motcua_ingest. Deterministic: every choice is a hash of the case number, so the same case gets
-- the same events whichever slice of days is loaded. Parameters (psql-style, filled by run_bench.py):
--   :n_from / :n_cases   case numbers to generate (a night only needs the cases of its last weeks)
--   :receivers / :handlers   receiving officers AGnn-D0.. and handling officers AGnn-H0.. per agency
--   :per_day      cases received per day (constant, so a night's volume does not grow with history)
--   :start_date   first receipt day
--   :day_from / :day_to   load events whose local occurred date is in [day_from, day_to)
--   :late_from    events of [late_from, day_to) held back 1 in 50 (they arrive with the next night)
--   :mode         'history' (without the held-back events) or 'night' (the new day + held-back ones)
--   :night_ingested_at   ingested_at of a night's events (a day after the newest one: nights are
--                 24 h apart, as in production, so the watermark's lookback does not reach back)
with cases as (
    select
        n,
        'AG' || lpad((n % 20)::text, 2, '0') as agency,
        abs(hashtext(n::text || 'a')) as h1,
        abs(hashtext(n::text || 'b')) as h2,
        abs(hashtext(n::text || 'c')) as h3,
        (:'start_date'::date + ((n - 1) / :per_day)::int) as receipt_day
    from generate_series(:n_from, :n_cases) as n
),
timed as (
    select
        c.*,
        ((c.receipt_day + time '08:00' + make_interval(mins => c.h1 % 480)) at time zone 'Asia/Ho_Chi_Minh') as received_at,
        1 + c.h2 % 5 as processing_days
    from cases c
),
lifecycle as (
    select
        t.*,
        t.received_at + interval '30 minutes' as assigned_at,
        case when t.h3 % 10 = 0 then t.received_at + interval '1 day 2 hours' end as returned_at,
        case when t.h3 % 10 = 0 then t.received_at + make_interval(days => 2 + t.h1 % 3) end as resubmitted_at,
        case when t.h3 % 33 = 1 then t.received_at + interval '2 days' end as withdrawn_at,
        case when t.h3 % 33 <> 1 then t.received_at + make_interval(days => t.h2 % (t.processing_days + 3), hours => 1 + t.h3 % 5) end as completed_at
    from timed t
),
events as (
    select l.n, l.agency, e.idx, e.event_type, e.occurred_at, e.officer_id, e.data
    from lifecycle l
    cross join lateral (values
        (0, 'case.received', l.received_at, l.agency || '-D' || (l.h1 % :receivers),
            jsonb_build_object('procedure_code', '1.00' || (l.h2 % 40), 'channel', (array['in_person', 'online', 'postal'])[1 + l.h3 % 3],
                               'processing_days', l.processing_days,
                               'due_at', to_char((l.received_at + make_interval(days => l.processing_days)) at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"'),
                               'applicant', jsonb_build_object('id_number', lpad((l.h1 % 1000000000000)::text, 12, '0')))),
        (1, 'case.assigned', l.assigned_at, l.agency || '-D' || (l.h1 % :receivers), jsonb_build_object('to_officer_id', l.agency || '-H' || (l.h2 % :handlers))),
        (2, 'case.returned', l.returned_at, l.agency || '-H' || (l.h2 % :handlers), jsonb_build_object('reason_code', 'missing_document')),
        (3, 'case.resubmitted', l.resubmitted_at, null, null),
        (4, 'case.withdrawn', l.withdrawn_at, null, null),
        (5, 'case.completed', l.completed_at, l.agency || '-H' || (l.h2 % :handlers),
            jsonb_build_object('outcome', case when l.h1 % 20 = 0 then 'refused' else 'approved' end)),
        (6, 'case.rated', case when l.h3 % 10 < 3 then l.completed_at + interval '1 day' end, null, jsonb_build_object('score', 1 + l.h1 % 5)),
        (7, 'case.complained', case when l.h2 % 50 = 0 then l.completed_at + interval '2 days' end, null, jsonb_build_object('category', 'delay'))
    ) as e(idx, event_type, occurred_at, officer_id, data)
    where e.occurred_at is not null
),
selected as (
    select
        ev.*,
        (ev.occurred_at at time zone 'Asia/Ho_Chi_Minh')::date as occurred_day,
        (ev.occurred_at at time zone 'Asia/Ho_Chi_Minh')::date >= :'late_from'::date
            and abs(hashtext(ev.n::text || ev.idx::text)) % 50 = 0 as held_back
    from events ev
    where (ev.occurred_at at time zone 'Asia/Ho_Chi_Minh')::date < :'day_to'::date
),
payloads as (
    select
        s.n, s.idx, s.occurred_at,
        jsonb_strip_nulls(jsonb_build_object(
            'event_id', md5(s.n::text || '/' || s.idx)::uuid,
            'event_type', s.event_type,
            'schema_version', 1,
            'occurred_at', to_char(s.occurred_at at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"'),
            'source', 'bench',
            'case_id', 'B' || s.n,
            'agency_code', s.agency,
            'officer_id', s.officer_id,
            'data', s.data
        )) || jsonb_build_object('officer_id', s.officer_id) as payload
    from selected s
    where case :'mode'
        when 'history' then s.occurred_day >= :'day_from'::date and not s.held_back
        else (s.occurred_day >= :'day_from'::date) or s.held_back
    end
)
insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp_ms, occurred_at, ingested_at)
select
    p.payload,
    sha256(convert_to(p.payload::text, 'UTF8')),
    'bench',
    p.n % 12,
    p.n * 8 + p.idx,
    (extract(epoch from p.occurred_at) * 1000)::bigint,
    p.occurred_at,
    case when :'mode' = 'history' then p.occurred_at + interval '1 hour' else :'night_ingested_at'::timestamptz end
from payloads p;
