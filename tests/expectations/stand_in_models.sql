-- Stand-in for the dbt project (dbt_project/) in tests and the benchmark: the minimal
-- staging.stg_case_events and marts.* with the contract's column names, computed from raw by
-- plain SQL so that good data reconciles. Run as motcua_transform. Not the real KPI logic:
-- deadlines ignore the working calendar, and the supplementation pause is not applied.
create schema if not exists staging;
create schema if not exists marts_build;

create table staging.stg_case_events as
select event_id, event_type, schema_version, case_id, agency_code, officer_id, occurred_at, ingested_at,
       payload -> 'data' ->> 'procedure_code'             as procedure_code,
       payload -> 'data' ->> 'channel'                    as channel,
       (payload -> 'data' ->> 'due_at')::timestamptz      as due_at,
       payload -> 'data' ->> 'outcome'                    as outcome,
       payload -> 'data' ->> 'to_officer_id'              as to_officer_id,
       (payload -> 'data' ->> 'score')::int               as rating_score
  from raw.case_events;

create table marts_build.fct_cases as
with c as (
  select case_id, min(agency_code) as agency_code,
         (array_agg(procedure_code order by occurred_at) filter (where event_type = 'case.received'))[1] as procedure_code,
         (array_agg(channel order by occurred_at) filter (where event_type = 'case.received'))[1] as channel,
         (array_agg(officer_id order by occurred_at) filter (where event_type = 'case.received'))[1] as receiving_officer_id,
         (array_agg(officer_id order by occurred_at desc) filter (where event_type = 'case.completed'))[1] as completing_officer_id,
         (array_agg(to_officer_id order by occurred_at desc) filter (where event_type = 'case.assigned'))[1] as last_assignee,
         min(occurred_at) filter (where event_type = 'case.received') as received_at,
         (array_agg(due_at order by occurred_at) filter (where event_type = 'case.received'))[1] as due_at,
         max(occurred_at) filter (where event_type = 'case.completed') as completed_at,
         (array_agg(outcome order by occurred_at desc) filter (where event_type = 'case.completed'))[1] as outcome,
         bool_or(event_type = 'case.withdrawn') as withdrawn,
         count(*) filter (where event_type = 'case.returned') as return_count,
         min(occurred_at) filter (where event_type = 'case.returned') as first_returned_at,
         (array_agg(rating_score order by occurred_at desc) filter (where event_type = 'case.rated'))[1] as rating_score,
         count(*) filter (where event_type = 'case.complained') as complaint_count
    from staging.stg_case_events
   group by case_id)
select case_id, agency_code, procedure_code, channel, receiving_officer_id,
       coalesce(completing_officer_id, last_assignee) as handling_officer_id,
       received_at, due_at, due_at as effective_due_at, completed_at, outcome,
       case when completed_at is not null then 'completed' when withdrawn then 'withdrawn' else 'open' end as status,
       return_count::int as return_count, first_returned_at,
       case when completed_at is null or due_at is null then null
            when (completed_at at time zone 'Asia/Ho_Chi_Minh')::date < (due_at at time zone 'Asia/Ho_Chi_Minh')::date then 'early'
            when completed_at <= due_at then 'on_time' else 'late' end as timeliness,
       (completed_at is null and not withdrawn and due_at < now()) as is_overdue_open,
       0 as waiting_working_minutes, rating_score, complaint_count::int as complaint_count
  from c;

-- One row per officer and period credited with something: receipts to the receiving officer,
-- completions (and their ratings and complaints) to the completing officer.
create table marts_build.kpi_officer_daily as
with credit as (
  select receiving_officer_id as officer_id, agency_code, (received_at at time zone 'Asia/Ho_Chi_Minh')::date as day,
         1 as rec, (return_count > 0)::int as ret, 0 as comp, 0 as ontime, 0 as rated, 0 as rating_sum, 0 as compl
    from marts_build.fct_cases where received_at is not null
  union all
  select handling_officer_id, agency_code, (completed_at at time zone 'Asia/Ho_Chi_Minh')::date,
         0, 0, 1, (timeliness in ('early', 'on_time'))::int, (rating_score is not null)::int,
         coalesce(rating_score, 0), complaint_count
    from marts_build.fct_cases where status = 'completed')
select officer_id, min(agency_code) as agency_code, day,
       sum(rec)::int as cases_received, sum(ret)::int as cases_returned_first_pass,
       sum(ret)::numeric / nullif(sum(rec), 0) as first_pass_return_rate,
       sum(comp)::int as cases_completed, sum(ontime)::int as cases_completed_on_time,
       sum(ontime)::numeric / nullif(sum(comp), 0) as on_time_rate,
       sum(rated)::int as ratings_count, sum(rating_sum)::numeric / nullif(sum(rated), 0) as avg_rating,
       sum(compl)::int as complaints_count, sum(compl)::numeric / nullif(sum(comp), 0) as complaint_rate
  from credit group by officer_id, day;

create table marts_build.kpi_officer_monthly as
with m as (
  select officer_id, min(agency_code) as agency_code, date_trunc('month', day)::date as month,
         sum(cases_received)::int as cases_received, sum(cases_returned_first_pass)::int as cases_returned_first_pass,
         sum(cases_completed)::int as cases_completed, sum(cases_completed_on_time)::int as cases_completed_on_time,
         sum(ratings_count)::int as ratings_count, sum(avg_rating * ratings_count) as rating_sum,
         sum(complaints_count)::int as complaints_count
    from marts_build.kpi_officer_daily group by officer_id, date_trunc('month', day)),
wd as (
  select m.month, count(*) filter (where extract(isodow from d) < 6)::int as working_days
    from (select distinct month from m) m,
         generate_series(m.month, (m.month + interval '1 month - 1 day')::date, interval '1 day') d
   group by m.month)
select m.officer_id, m.agency_code, m.month, m.cases_received, m.cases_returned_first_pass,
       m.cases_returned_first_pass::numeric / nullif(m.cases_received, 0) as first_pass_return_rate,
       m.cases_completed, m.cases_completed_on_time,
       m.cases_completed_on_time::numeric / nullif(m.cases_completed, 0) as on_time_rate,
       wd.working_days, m.cases_completed::numeric / nullif(wd.working_days, 0) as throughput_per_working_day,
       m.ratings_count, m.rating_sum / nullif(m.ratings_count, 0) as avg_rating,
       m.complaints_count, m.complaints_count::numeric / nullif(m.cases_completed, 0) as complaint_rate,
       0.98::numeric as on_time_rate_target,
       (m.cases_completed_on_time::numeric / nullif(m.cases_completed, 0)) >= 0.98 as on_time_target_met
  from m join wd using (month);

create table marts_build.kpi_agency_monthly as
with credit as (
  select agency_code, date_trunc('month', received_at at time zone 'Asia/Ho_Chi_Minh')::date as month,
         1 as rec, (return_count > 0)::int as ret, 0 as comp, 0 as early, 0 as ontime, 0 as late,
         0 as rated, 0 as rating_sum, 0 as compl,
         (status = 'open' and not is_overdue_open)::int as open_in, (status = 'open' and is_overdue_open)::int as open_over,
         (status = 'withdrawn')::int as wd
    from marts_build.fct_cases where received_at is not null
  union all
  select agency_code, date_trunc('month', completed_at at time zone 'Asia/Ho_Chi_Minh')::date,
         0, 0, 1, (timeliness = 'early')::int, (timeliness = 'on_time')::int, (timeliness = 'late')::int,
         (rating_score is not null)::int, coalesce(rating_score, 0), complaint_count, 0, 0, 0
    from marts_build.fct_cases where status = 'completed')
select agency_code, month,
       sum(rec)::int as cases_received, sum(ret)::int as cases_returned_first_pass,
       sum(ret)::numeric / nullif(sum(rec), 0) as first_pass_return_rate,
       sum(comp)::int as cases_completed, (sum(early) + sum(ontime))::int as cases_completed_on_time,
       (sum(early) + sum(ontime))::numeric / nullif(sum(comp), 0) as on_time_rate,
       sum(early)::int as cases_early, sum(ontime)::int as cases_on_time, sum(late)::int as cases_late,
       sum(open_in)::int as cases_open_within_deadline, sum(open_over)::int as cases_open_overdue,
       0 as cases_waiting_for_applicant, sum(wd)::int as cases_withdrawn,
       sum(rated)::int as ratings_count, sum(rating_sum)::numeric / nullif(sum(rated), 0) as avg_rating,
       sum(compl)::int as complaints_count, sum(compl)::numeric / nullif(sum(comp), 0) as complaint_rate
  from credit group by agency_code, month;
