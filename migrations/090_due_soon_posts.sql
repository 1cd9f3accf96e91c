-- The early-warning digests posted by the due_soon_alerts DAG (motcua/due_soon.py): one row per
-- (window, agency), so a rerun of the same half-hour window never posts a second digest. The
-- counts are kept as what was said; no case id nor officer here (the digest itself carries them).
-- Written by the DAG's tasks as motcua_transform, read by auditors.
create schema if not exists orchestration authorization motcua_owner;

create table if not exists orchestration.due_soon_posts (
    window_start  timestamptz not null,              -- the run's logical instant (its half-hour slot)
    agency_code   text        not null,
    due_count     integer     not null check (due_count >= 0),      -- due within the window, not yet overdue
    overdue_count integer     not null check (overdue_count >= 0),
    delivered     boolean     not null,              -- the webhook answered 2xx (false: logged only)
    posted_at     timestamptz not null default now(),
    primary key (window_start, agency_code)
);

grant usage on schema orchestration to motcua_transform, motcua_auditor;
grant select, insert, update on orchestration.due_soon_posts to motcua_transform;
grant select on orchestration.due_soon_posts to motcua_auditor;
