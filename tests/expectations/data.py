"""Synthetic one-stop-shop events for the gate's tests, generated inside PostgreSQL.

Three agencies receive a steady number of cases every working day (workcal: weekends and Tết
2026 are off); each case is received, assigned, completed and delivered the same day, every
other one is rated. The staff topic gives each officer a position (the evaluation's input). Raw rows (payload and Kafka coordinates; PostgreSQL derives the typed
columns) are inserted as the owner, like the loader would; the models are the real dbt project's,
built by dbt as motcua_transform (the gate judges what ships, not a copy of it).
"""
from __future__ import annotations

import json
import tempfile
from datetime import date, timedelta
from pathlib import Path

import psycopg

from expectations.config import GateConfig
from ingestion import db

BUILD_SCHEMA = GateConfig().marts_schema             # where dbt builds the marts (marts_build)

AGENCIES = {"SKHDT": 3, "STNMT": 2, "SGTVT": 2}     # cases received per working day
GATE_DAY = date(2026, 3, 18)                        # a Wednesday, 4 weeks after Tết 2026
# the build runs the morning after the gate day: the day's open cases are judged at its end
BUILD_AS_OF = "2026-03-19T00:00:00+07:00"
TZ = "Asia/Ho_Chi_Minh"


def working_days(until: date, history: int = 60) -> list[date]:
    from workcal import default_calendar

    cal = default_calendar()
    return [d for d in (until - timedelta(days=k) for k in range(history, -1, -1)) if cal.is_working_day(d)]


def insert_cases(conn: psycopg.Connection, days: list[date], agencies: dict[str, int]) -> None:
    """Cases of `agencies` on each of `days`: 4 events each (+1 rating for even ones)."""
    conn.execute(
        f"""
with cases as (
  select a.code as agency_code, d::date as day, i,
         format('%%s-%%s-%%s', a.code, to_char(d, 'YYMMDD'), lpad(i::text, 4, '0')) as case_id,
         (d::timestamp + time '09:00' + i * interval '1 minute') at time zone '{TZ}' as t0
    from unnest(%s::text[], %s::int[]) as a(code, n),
         unnest(%s::date[]) as d,
         generate_series(1, a.n) as i),
ev as (
  select c.case_id, c.agency_code, e.*
    from cases c,
         lateral (values
           ('case.received', c.agency_code || '-CB1', c.t0, jsonb_build_object(
               'procedure_code', '1.001612', 'channel', 'online', 'processing_days', 3,
               'due_at', c.t0 + interval '3 days',
               'applicant', jsonb_build_object('id_number', '001090012345', 'full_name', 'Nguyễn Văn A',
                                               'phone', '0912345678'))),
           ('case.assigned', c.agency_code || '-CB1', c.t0 + interval '30 minutes',
               jsonb_build_object('to_officer_id', c.agency_code || '-CB2')),
           ('case.completed', c.agency_code || '-CB2', c.t0 + interval '6 hours',
               jsonb_build_object('outcome', case when c.i %% 5 = 0 then 'refused' else 'approved' end)),
           ('case.delivered', c.agency_code || '-CB1', c.t0 + interval '7 hours', '{{}}'::jsonb),
           ('case.rated', null, c.t0 + interval '7 hours 30 minutes', jsonb_build_object('score', 4 + c.i %% 2))
         ) as e(event_type, officer_id, occurred_at, data)
   where e.event_type <> 'case.rated' or c.i %% 2 = 0)
insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset, ingested_at)
select p.payload, sha256(convert_to(p.payload::text, 'UTF8')), 'motcua.case-events', 0,
       (select coalesce(max(kafka_offset), 0) from raw.case_events) + row_number() over (),
       p.occurred_at + interval '1 minute'
  from (select occurred_at, jsonb_build_object(
          'event_id', gen_random_uuid(), 'event_type', event_type, 'schema_version', 1,
          'occurred_at', occurred_at, 'source', 'test', 'case_id', case_id, 'agency_code', agency_code,
          'officer_id', officer_id, 'data', data) as payload
          from ev) as p""",
        (list(agencies), list(agencies.values()), days),
    )


def insert_positions(conn: psycopg.Connection, agencies: dict[str, int]) -> None:
    """The staff topic's positions of the history's officers (<agency>-CB1 receives, -CB2 handles),
    held since 1 December 2025 and loaded then: a complete source, so the gate's staff checks pass."""
    conn.execute(
        """
insert into raw.staff_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset, ingested_at)
select p.payload, sha256(convert_to(p.payload::text, 'UTF8')), 'motcua.staff-events', 1,
       (select coalesce(max(kafka_offset), 0) from raw.staff_events where kafka_partition = 1) + row_number() over (),
       timestamptz '2025-12-01 08:00+07'
  from (select jsonb_build_object(
          'event_id', gen_random_uuid(), 'event_type', 'officer.positioned', 'schema_version', 1,
          'occurred_at', '2025-11-25T09:00:00+07:00', 'source', 'test', 'agency_code', a.code,
          'officer_id', a.code || o.suffix,
          'data', jsonb_build_object('unit_code', 'P1', 'position_code', upper(o.grp), 'position_group', o.grp,
                                     'valid_from', '2025-12-01')) as payload
          from unnest(%s::text[]) as a(code),
               (values ('-CB1', 'reception'), ('-CB2', 'processing')) as o(suffix, grp)) as p""",
        (list(agencies),),
    )


def load_history(dbname: str, day: date = GATE_DAY, *, stopped_agency: str | None = None,
                 build_models: bool = True, target_path: Path | None = None) -> None:
    """Steady history up to and including `day`; optionally an agency silent on `day`."""
    days = working_days(day)
    with db.connect("owner", dbname, autocommit=True) as conn:
        insert_cases(conn, [d for d in days if d != day], AGENCIES)
        on_day = {a: n for a, n in AGENCIES.items() if a != stopped_agency}
        insert_cases(conn, [day], on_day)
        insert_positions(conn, AGENCIES)
    if build_models:
        build_models_with_dbt(dbname, target_path=target_path)


def build_models_with_dbt(dbname: str, *, target_path: Path | None = None,
                          marts_schema: str = BUILD_SCHEMA) -> None:
    """The real dbt project's seeds and models (its data tests are dbt's own, not the gate's),
    built into `marts_schema`: the build schema the gate judges."""
    from tests.dbt.dbt_runner import run_dbt

    if target_path is None:
        with tempfile.TemporaryDirectory(prefix="dbt_gate_") as tmp:
            return build_models_with_dbt(dbname, target_path=Path(tmp), marts_schema=marts_schema)
    run_dbt(dbname, "build", "--resource-type", "seed", "--resource-type", "model", target_path=target_path,
            as_of=BUILD_AS_OF, env_overrides={"MOTCUA_BUILD_SCHEMA": marts_schema})


def insert_event(dbname: str, *, case_id: str, event_type: str, occurred_at: str, ingested_at: str,
                 agency_code: str = "SKHDT", officer_id: str | None = None, data: dict | None = None) -> None:
    """One hand-made event (for injecting bad data)."""
    execute(dbname, """
        insert into raw.case_events (payload, content_hash, kafka_topic, kafka_partition, kafka_offset, ingested_at)
        select p, sha256(convert_to(p::text, 'UTF8')), 'injected', 0,
               (select coalesce(max(kafka_offset), 0) + 1 from raw.case_events where kafka_topic = 'injected'),
               %s::timestamptz
          from jsonb_build_object('event_id', gen_random_uuid(), 'event_type', %s::text, 'schema_version', 1,
                                  'occurred_at', %s::text, 'case_id', %s::text, 'agency_code', %s::text,
                                  'officer_id', %s::text, 'data', %s::jsonb) as p""",
            params=(ingested_at, event_type, occurred_at, case_id, agency_code, officer_id,
                    json.dumps(data or {})))


def execute(dbname: str, sql: str, role: str = "owner", params: tuple | None = None) -> None:
    with db.connect(role, dbname, autocommit=True) as conn:
        conn.execute(sql, params)
