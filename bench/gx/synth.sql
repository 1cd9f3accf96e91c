-- Synthetic raw events for the gate benchmark: %(n)s cases over the 365 days up to %(day)s,
-- 20 agencies x 10 officers, ~4.2 events per case. Generated entirely inside PostgreSQL, and
-- inserted in arrival order, as the loader appends them (the ingested_at range scans depend on it).
-- Only the payload and Kafka coordinates are inserted: PostgreSQL derives the typed columns.
insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset, ingested_at)
with c as (
  select i, 'A' || lpad((i %% 20)::text, 2, '0') as agency_code,
         'A' || lpad((i %% 20)::text, 2, '0') || '-' || i as case_id,
         i %% 365 as age_days, i %% 7 + 1 as takes_days,
         ((%(day)s::date - i %% 365)::timestamp + time '08:00' + ((i / 365) %% 480) * interval '1 minute')
             at time zone 'Asia/Ho_Chi_Minh' as t0,
         'A' || lpad((i %% 20)::text, 2, '0') || '-CB' || (i / 20) %% 10 as desk,
         'A' || lpad((i %% 20)::text, 2, '0') || '-CB' || (i / 20 + 1) %% 10 as handler
    from generate_series(1, %(n)s) as i),
ev as (
  select c.case_id, c.agency_code, e.event_type, e.officer_id, e.occurred_at, e.data
    from c, lateral (values
      ('case.received', c.desk, c.t0, jsonb_build_object('procedure_code', '1.00' || (c.i %% 50),
          'channel', (array['online', 'in_person', 'postal'])[c.i %% 3 + 1], 'processing_days', 5,
          'due_at', c.t0 + interval '5 days', 'applicant', jsonb_build_object('id_number', '001090012345'))),
      ('case.assigned', c.desk, c.t0 + interval '30 minutes', jsonb_build_object('to_officer_id', c.handler)),
      ('case.returned', c.handler, c.t0 + interval '2 hours', jsonb_build_object('reason_code', 'missing_document')),
      ('case.resubmitted', c.desk, c.t0 + interval '1 day', null),
      ('case.completed', c.handler, c.t0 + c.takes_days * interval '1 day',
          jsonb_build_object('outcome', case when c.i %% 9 = 0 then 'refused' else 'approved' end)),
      ('case.delivered', c.desk, c.t0 + c.takes_days * interval '1 day' + interval '1 hour', null),
      ('case.rated', null, c.t0 + c.takes_days * interval '1 day' + interval '2 hours',
          jsonb_build_object('score', 1 + c.i %% 5)),
      ('case.complained', null, c.t0 + c.takes_days * interval '1 day' + interval '3 hours',
          jsonb_build_object('category', 'delay'))
    ) as e(event_type, officer_id, occurred_at, data)
   where case e.event_type
           when 'case.received' then true
           when 'case.assigned' then true
           when 'case.returned' then c.i %% 20 = 1
           when 'case.resubmitted' then c.i %% 20 = 1 and c.age_days >= 1
           when 'case.rated' then c.i %% 3 = 0 and c.age_days >= c.takes_days and c.i %% 10 <> 0
           when 'case.complained' then c.i %% 200 = 0 and c.age_days >= c.takes_days and c.i %% 10 <> 0
           else c.age_days >= c.takes_days and c.i %% 10 <> 0      -- completed, delivered
         end)
select jsonb_build_object('event_id', gen_random_uuid(), 'event_type', event_type, 'schema_version', 1,
                          'occurred_at', occurred_at, 'case_id', case_id, 'agency_code', agency_code,
                          'officer_id', officer_id, 'data', coalesce(data, '{}'::jsonb)),
       '\x00'::bytea, 'motcua.case-events', (row_number() over ()) %% 12, row_number() over (),
       occurred_at + interval '1 minute'
  from ev
 order by occurred_at;
