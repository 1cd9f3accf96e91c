-- Quality gate history (expectations/): one row per gate run and one per expectation evaluated.
-- Written by the gate, which runs as motcua_transform; read by auditors ("was this figure
-- checked, and what did the check see?") and by BI (a "last passed" badge). Results hold
-- identifiers and counts, never applicants' personal data (the checks are written that way).
create schema if not exists quality authorization motcua_owner;

create table if not exists quality.gate_runs (
    run_id              uuid        primary key,
    layer               text        not null check (layer in ('raw', 'staging', 'marts', 'all')),
    local_date          date        not null,
    data_interval_start timestamptz not null,
    data_interval_end   timestamptz not null,
    started_at          timestamptz not null,
    finished_at         timestamptz not null,
    passed              boolean     not null,      -- no critical expectation failed
    evaluated           integer     not null,
    critical_failures   integer     not null,
    warnings            integer     not null,
    data_docs_url       text,
    gx_version          text,
    config              jsonb       not null default '{}'::jsonb
);
create index if not exists gate_runs_local_date_idx on quality.gate_runs (local_date, layer);

create table if not exists quality.validation_results (
    id                  bigint      generated always as identity primary key,
    run_id              uuid        not null references quality.gate_runs (run_id),
    suite               text        not null,
    expectation         text        not null,      -- stable name, e.g. raw_agency_feed_not_stopped
    expectation_type    text        not null,      -- GX type, e.g. expect_column_values_to_be_between
    severity            text        not null check (severity in ('critical', 'warning')),
    success             boolean     not null,
    observed_value      jsonb,
    unexpected_count    bigint,
    element_count       bigint,
    details             jsonb,                     -- sample of unexpected values / rows, or the error
    description         text,
    data_interval_start timestamptz not null,
    data_interval_end   timestamptz not null,
    validated_at        timestamptz not null,
    data_docs_url       text
);
create index if not exists validation_results_run_idx on quality.validation_results (run_id);
create index if not exists validation_results_expectation_idx
    on quality.validation_results (suite, expectation, validated_at);

-- Latest verdict per layer and local date: what BI shows and the publishing step can check.
create or replace view quality.latest_gate_runs as
select distinct on (layer, local_date) *
  from quality.gate_runs
 order by layer, local_date, finished_at desc;

revoke all on schema quality from public;
grant usage on schema quality to motcua_transform, motcua_auditor, motcua_bi;
grant select, insert on quality.gate_runs, quality.validation_results to motcua_transform;
grant select on quality.gate_runs, quality.validation_results, quality.latest_gate_runs
    to motcua_transform, motcua_auditor, motcua_bi;
