-- Synthetic raw staff events (motcua.staff-events contract, schema version 1) for the evaluation
-- benchmark, generated in SQL like bench/dbt/synth.sql and run as motcua_ingest. The officers are
-- those synth.sql gives cases to, plus one leader per agency: per agency AGnn, receiving officers
-- AGnn-D0 .. D(receivers-1) (group reception, unit MOTCUA), handling officers AGnn-H0 ..
-- H(handlers-1) (processing, unit XL) and AGnn-L0 (leadership, unit XL, the others' manager).
-- Deterministic: every choice is a hash of the officer id (or case number), so the same events
-- come out whichever slice of days is loaded. Parameters (filled by bench/evaluation/run.py):
--   :agencies / :receivers / :handlers   the officers (as synth.sql's)
--   :start_date   everyone's first position (the case history's first day)
--   :eval_from    first month assessed (the first evaluation settings date)
--   :night_day    the night measured: a few corrections, a transfer and exemptions dated that day
--   :day_from / :day_to   load events whose local occurred date is in [day_from, day_to)
--   :per_day / :n_to   synth.sql's cases per day and last case number (exemptions name real cases)
--   :ingested_at  an SQL expression: p.occurred_at + interval '1 hour' (the history) or a night's instant
-- What comes out:
--   officer.positioned for everyone from start_date; ~1 in 10 officers transferred on the first of
--   a month of the evaluated year (a new unit, a third of them into the other group);
--   a manager assessment per officer and month (on the 28th), except ~1 in 10 officers assessed
--   quarterly instead (on the 28th of the quarter's last month); ~1 in 20 corrected on the 3rd of
--   the next month; ~1 in 97 with points above the maximum (unusable, reported); a self assessment
--   per month and a peer assessment per quarter;
--   case.exemption_granted for ~1 case in 499 of the evaluated year (lateness; 1 in 1,999 return)
--   ten working days after receipt, ~1 in 6 of them revoked a month later.
with officers as (
    select
        a, 'AG' || lpad(a::text, 2, '0') as agency,
        'AG' || lpad(a::text, 2, '0') || '-' || kind || i as officer_id,
        kind,
        case kind when 'D' then 'reception' when 'H' then 'processing' else 'leadership' end as position_group,
        case kind when 'D' then 'MOTCUA' else 'XL' end as unit_code,
        case kind when 'L' then 'AG' || lpad(a::text, 2, '0') || '-GD' else 'AG' || lpad(a::text, 2, '0') || '-L0' end as manager_id
    from generate_series(0, :agencies - 1) as a
    cross join lateral (
        select 'D' as kind, i from generate_series(0, :receivers - 1) as i
        union all select 'H', i from generate_series(0, :handlers - 1) as i
        union all select 'L', 0
    ) as k
),
hashed as (
    select o.*, abs(hashtext(o.officer_id || 't')) as ht, abs(hashtext(o.officer_id || 'q')) as hq
    from officers o
),
months as (
    select m::date as month from generate_series(:'eval_from'::date, date_trunc('month', :'night_day'::date), interval '1 month') as m
),
positions as (
    select h.officer_id, h.agency, (:'start_date'::date + time '08:00') as local_at,
           jsonb_build_object('unit_code', h.unit_code, 'position_code', h.position_group || '-1',
                              'position_group', h.position_group, 'manager_id', h.manager_id,
                              'valid_from', :'start_date'::date) as data,
           'pos0' as tag
    from hashed h
    union all
    -- transfers: a new unit (a third of them into the other group) from the first of a month
    select h.officer_id, h.agency, t.valid_from + time '08:00',
           jsonb_build_object('unit_code', 'XL2',
                              'position_code', t.grp || '-2', 'position_group', t.grp,
                              'manager_id', h.manager_id, 'valid_from', t.valid_from),
           'pos1'
    from hashed h
    cross join lateral (select (:'eval_from'::date + make_interval(months => 1 + h.ht % 10))::date as valid_from,
                               case when h.ht % 3 = 0 then case h.position_group when 'reception' then 'processing' else 'reception' end
                                    else h.position_group end as grp) as t
    where h.kind <> 'L' and h.ht % 10 = 0
    union all
    -- tonight: one officer of every fourth agency moves to unit XL3 from tomorrow
    select h.officer_id, h.agency, :'night_day'::date + time '09:30',
           jsonb_build_object('unit_code', 'XL3', 'position_code', h.position_group || '-3',
                              'position_group', h.position_group, 'manager_id', h.manager_id,
                              'valid_from', :'night_day'::date + 1),
           'pos2'
    from hashed h
    where h.kind = 'H' and h.officer_id like '%-H0' and h.a % 4 = 0
),
periods as (
    -- the periods each officer is assessed for by the manager, and when
    select h.*, to_char(m.month, 'YYYY-MM') as period, (m.month + 27) as assessed_day
    from hashed h cross join months m
    where h.hq % 10 <> 1 and m.month + 27 < :'night_day'::date
    union all
    select h.*, to_char(m.month, 'YYYY') || '-Q' || extract(quarter from m.month), (m.month + interval '2 months' + interval '27 days')::date
    from hashed h cross join months m
    where h.hq % 10 = 1 and extract(month from m.month)::int % 3 = 1
      and (m.month + interval '2 months' + interval '27 days')::date < :'night_day'::date
),
manager_assessments as (
    select p.officer_id, p.agency, p.period, p.manager_id as assessor_id, 'manager' as role,
           p.assessed_day + time '16:00' as local_at, 0 as version, abs(hashtext(p.officer_id || p.period)) as hp
    from periods p
    union all
    -- ~1 in 20 corrected on the 3rd of the next month
    select p.officer_id, p.agency, p.period, p.manager_id, 'manager',
           (date_trunc('month', p.assessed_day) + interval '1 month' + interval '2 days 09:00'), 1,
           abs(hashtext(p.officer_id || p.period)) + 1
    from periods p
    where abs(hashtext(p.officer_id || p.period)) % 20 = 0
    union all
    -- tonight: ~1 in 25 of last month's assessments corrected
    select p.officer_id, p.agency, p.period, p.manager_id, 'manager', :'night_day'::date + time '10:00', 2,
           abs(hashtext(p.officer_id || p.period)) + 2
    from periods p
    where p.period = to_char(date_trunc('month', :'night_day'::date) - interval '1 month', 'YYYY-MM')
      and abs(hashtext(p.officer_id || 'n')) % 25 = 0
),
other_assessments as (
    -- self: every month, on the 27th
    select h.officer_id, h.agency, to_char(m.month, 'YYYY-MM') as period, h.officer_id as assessor_id, 'self' as role,
           (m.month + 26) + time '15:00' as local_at, 0 as version, abs(hashtext(h.officer_id || m.month || 's')) as hp
    from hashed h cross join months m
    where m.month + 26 < :'night_day'::date
    union all
    -- peer: a colleague of the same agency, every quarter
    select h.officer_id, h.agency, to_char(m.month, 'YYYY') || '-Q' || extract(quarter from m.month),
           h.agency || '-H' || ((h.ht + 1) % :handlers), 'peer',
           (m.month + interval '2 months' + interval '26 days 11:00'), 0, abs(hashtext(h.officer_id || m.month || 'p'))
    from hashed h cross join months m
    where extract(month from m.month)::int % 3 = 1
      and (m.month + interval '2 months' + interval '26 days')::date < :'night_day'::date
      and h.officer_id <> h.agency || '-H' || ((h.ht + 1) % :handlers)
),
assessments as (
    select a.officer_id, a.agency, a.local_at,
           jsonb_build_object(
               'period', a.period, 'assessor_id', a.assessor_id, 'assessor_role', a.role,
               'criteria', jsonb_build_array(
                   jsonb_build_object('code', 'compliance', 'points', case when a.hp % 97 = 0 then 12 else 6 + a.hp % 5 end),
                   jsonb_build_object('code', 'coordination', 'points', 6 + (a.hp / 5) % 5),
                   jsonb_build_object('code', 'service_attitude', 'points', 6 + (a.hp / 25) % 5))) as data,
           'a' || a.role || a.period || a.assessor_id || a.version as tag
    from (select * from manager_assessments union all select * from other_assessments) as a
),
exempted as (
    -- cases of the evaluated year (synth.sql's numbering: receipt day = start_date + (n - 1) / per_day)
    select n, 'AG' || lpad((n % 20)::text, 2, '0') as agency,
           (:'start_date'::date + ((n - 1) / :per_day)::int) as receipt_day
    from generate_series(greatest(1, (:'eval_from'::date - :'start_date'::date) * :per_day + 1), :n_to) as n
    where n % 499 = 0 or n % 1999 = 0
),
exemptions as (
    select e.agency || '-L0' as officer_id, e.agency,
           case when e.receipt_day + 14 >= :'night_day'::date then :'night_day'::date + time '14:00'
                else e.receipt_day + 14 + time '14:00' end as local_at,
           jsonb_build_object('case_id', 'B' || e.n, 'scope', case when e.n % 499 = 0 then 'lateness' else 'return' end,
                              'decision_ref', 'QD-' || e.n, 'reason_code', 'system_outage') as data,
           'xg' || e.n as tag, 'case.exemption_granted' as event_type
    from exempted e
    where e.agency::text < 'AG' || lpad(:agencies::text, 2, '0')
    union all
    select e.agency || '-L0', e.agency, e.receipt_day + 44 + time '10:00',
           jsonb_build_object('case_id', 'B' || e.n, 'scope', case when e.n % 499 = 0 then 'lateness' else 'return' end,
                              'decision_ref', 'QD-' || e.n),
           'xr' || e.n, 'case.exemption_revoked'
    from exempted e
    where e.n % 6 = 0 and e.receipt_day + 44 < :'night_day'::date
      and e.agency::text < 'AG' || lpad(:agencies::text, 2, '0')
),
events as (
    select officer_id, agency, local_at, data, tag, 'officer.positioned' as event_type from positions
    union all
    select officer_id, agency, local_at, data, tag, 'officer.assessed' from assessments
    union all
    select officer_id, agency, local_at, data, tag, event_type from exemptions
),
payloads as (
    select
        e.officer_id,
        (e.local_at at time zone 'Asia/Ho_Chi_Minh') as occurred_at,
        md5('staff/' || e.officer_id || '/' || e.event_type || '/' || e.tag) as key,
        jsonb_build_object(
            'event_id', md5('staff/' || e.officer_id || '/' || e.event_type || '/' || e.tag)::uuid,
            'event_type', e.event_type,
            'schema_version', 1,
            'occurred_at', to_char(e.local_at, 'YYYY-MM-DD"T"HH24:MI:SS"+07:00"'),
            'source', 'bench',
            'agency_code', e.agency,
            'officer_id', e.officer_id,
            'data', e.data
        ) as payload
    from events e
    where e.local_at::date >= :'day_from'::date and e.local_at::date < :'day_to'::date
)
insert into raw.staff_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp_ms, ingested_at)
select
    p.payload,
    sha256(convert_to(p.payload::text, 'UTF8')),
    'bench.staff',
    abs(hashtext(p.officer_id)) % 4,
    ('x' || substr(p.key, 1, 15))::bit(60)::bigint,
    (extract(epoch from p.occurred_at) * 1000)::bigint,
    :ingested_at
from payloads p
on conflict do nothing   -- a later night's slice may name an event an earlier one loaded
