-- The nightly's baton: one night at a time, oldest first, whatever starts the runs (the schedule's
-- catch-up, a backfill, a manual rerun). Airflow's max_active_runs counts scheduled and backfill
-- runs separately, so the runs coordinate here instead (publish/nightlock.py): every task of a run
-- holds the baton for its run before working; a run that finishes (its teardown) hands it back, and
-- a run Airflow no longer runs (failed, deleted) loses it to the next one. Only run ids and local
-- dates, no personal data. Written by the DAG's tasks as motcua_transform.
create schema if not exists orchestration authorization motcua_owner;

create table if not exists orchestration.nightly_runs (
    run_id        text        primary key,           -- Airflow's dag run id
    night         date        not null,              -- the local night the run covers
    registered_at timestamptz not null default now(),
    finished_at   timestamptz                        -- null while the run may still work
);
create index if not exists nightly_runs_waiting_idx on orchestration.nightly_runs (night, registered_at)
    where finished_at is null;

create table if not exists orchestration.night_baton (
    singleton boolean     primary key default true check (singleton),
    run_id    text,                                  -- null: free
    night     date,
    taken_at  timestamptz
);
insert into orchestration.night_baton (singleton) values (true) on conflict do nothing;

revoke all on schema orchestration from public;
grant usage on schema orchestration to motcua_transform, motcua_auditor;
grant select, insert, update on orchestration.nightly_runs, orchestration.night_baton to motcua_transform;
grant select on orchestration.nightly_runs, orchestration.night_baton to motcua_auditor;
