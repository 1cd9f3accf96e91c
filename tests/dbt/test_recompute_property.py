"""Property test: the SQL marts and the independent Python clock (publish/recompute.py) agree on
every case of a few thousand: the project's generator (late, out-of-order, duplicated and
impossible-order deliveries) plus seeded random cases aimed at the clock's edges (boundaries,
cut-off, holidays and the make-up Saturday, both pause policies, the VIDU agency calendar,
repeated and late returns, duplicates under new event ids). 100% agreement is required on
timeliness, effective deadline and waiting minutes, and on where each case counts, including
the states of open cases at each month's end (at the build's as-of in its month)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

import pytest

from ingestion import db
from publish.recompute import SNAPSHOT_MEASURES, ClockConfig, Event, memberships, recompute_case, snapshot_memberships
from tests.dbt.dbt_runner import BUILD_SCHEMA, run_dbt
from tests.dbt.sla_cases import AS_OF, edge_cases, encode, generated_stream, load

FIELDS = ("status", "timeliness", "effective_due_at", "waiting_working_minutes", "paused_working_minutes",
          "clock_started_at", "handling_officer_id", "completing_agency_code", "receiving_officer_id", "return_count",
          "sla_policy")


@pytest.fixture(scope="module")
def built(module_db, dbt_target):
    values = generated_stream(seed=11, days=30, cases_per_day=80) + encode(edge_cases(seed=5, n=1500), seed=5)
    with db.connect("ingest", module_db) as conn:
        loaded, redelivered = load(conn, values)
        conn.commit()
    run_dbt(module_db, "build", "--select", "+fct_cases +kpi_case_membership", "--exclude-resource-type", "test",
            "--exclude-resource-type", "unit_test", target_path=dbt_target, as_of=AS_OF)
    with db.connect("transform", module_db) as conn:
        cur = conn.execute(f"select case_id, {', '.join(FIELDS)} from {BUILD_SCHEMA}.fct_cases")
        names = [d.name for d in cur.description]
        marts = {r[0]: dict(zip(names, r)) for r in cur.fetchall()}
        membership = conn.execute(f"select case_id, measure, officer_id, agency_code, activity_date, value"
                                  f" from {BUILD_SCHEMA}.kpi_case_membership").fetchall()
        events: dict[str, list[Event]] = {}
        for case_id, payload in conn.execute("select case_id, payload::text from raw.case_events"):
            events.setdefault(case_id, []).append(Event.from_payload(payload))
    config = ClockConfig.from_project()
    as_of = datetime.fromisoformat(AS_OF)
    python = {case_id: recompute_case(case_id, evs, config, as_of) for case_id, evs in events.items()}
    states = [row for case_id, evs in events.items() for row in snapshot_memberships(case_id, evs, config, as_of)]
    return {"marts": marts, "membership": membership, "python": python, "states": states, "events": events,
            "loaded": loaded,
            "redelivered": redelivered}


def test_the_data_exercises_every_rule(built):
    """Not a tautology guard: without these the agreement below would prove little."""
    python = [f for f in built["python"].values() if f is not None]
    assert len(python) >= 3000
    assert built["redelivered"] > 100
    policies = Counter(f.sla_policy for f in python)
    assert policies["restart"] >= 100 and policies["pause"] >= 1000
    assert Counter(f.timeliness for f in python)["late"] >= 100
    assert sum(1 for f in python if f.paused_working_minutes > 0) >= 200
    assert sum(1 for f in python if f.waiting_working_minutes > f.paused_working_minutes) >= 20   # waits after the deadline
    assert sum(1 for f in python if f.is_waiting_for_applicant) >= 20                              # open waits
    assert sum(1 for f in python if f.agency_code == "VIDU") >= 100                                 # an agency calendar
    # the orphans (no valid receipt) are out of both
    orphans = {c for c, f in built["python"].items() if f is None}
    assert not orphans & set(built["marts"])


def test_every_case_agrees_with_the_marts(built):
    marts, python = built["marts"], built["python"]
    assert set(marts) == {c for c, f in python.items() if f is not None}
    disagreements = []
    for case_id, row in marts.items():
        mine = python[case_id]
        recomputed = {**mine.as_row(), "paused_working_minutes": mine.paused_working_minutes}
        for name in FIELDS:
            if recomputed[name] != row[name]:
                disagreements.append(f"{case_id} {name}: marts {row[name]!r}, python {recomputed[name]!r}")
    assert not disagreements, f"{len(disagreements)} disagreements of {len(marts)} cases, e.g.:\n" + "\n".join(disagreements[:15])


def test_every_membership_row_agrees(built):
    published = Counter()
    for case_id, measure, officer, agency, day, value in built["membership"]:
        if measure not in SNAPSHOT_MEASURES:
            published[(case_id, measure, officer, agency, day)] += Decimal(value)
    mine = Counter()
    for facts in built["python"].values():
        if facts is not None:
            for row in memberships(facts):
                mine[(row.case_id, row.measure, row.officer_id, row.agency_code, row.activity_date)] += row.value
    assert len(published) > 10_000
    differing = [k for k in set(published) | set(mine) if abs(published.get(k, 0) - mine.get(k, 0)) > Decimal("1e-9")]
    assert not differing, f"{len(differing)} membership rows differ, e.g. " + "; ".join(
        f"{k}: marts {published.get(k)}, python {mine.get(k)}" for k in sorted(differing, key=str)[:10])


def test_every_state_of_an_open_case_agrees(built):
    """Month-end states (and the as-of month's, at the as-of), each from the events before its instant.

    Includes the boundary the marts once got wrong: a deadline that ran out just before a month's
    end in non-working time (Friday 17:00, the month ending on the weekend) with a return right
    after the month's end, before any working minute passed. That return still moves the final
    deadline (rule 4 compares working positions), but at the month's end it had not happened: the
    case was overdue then, and must stay so when later nights rebuild that month."""
    published = Counter((c, m, o, a, d) for c, m, o, a, d, _ in built["membership"] if m in SNAPSHOT_MEASURES)
    mine = Counter((r.case_id, r.measure, r.officer_id, r.agency_code, r.activity_date) for r in built["states"])
    assert Counter(m for _, m, *_ in mine.elements()).keys() == SNAPSHOT_MEASURES and len(published) > 1000
    differing = sorted((k for k in set(published) | set(mine) if published[k] != mine[k]), key=str)
    assert not differing, f"{len(differing)} state rows differ, e.g. " + "; ".join(
        f"{k}: marts {published[k]}, python {mine[k]}" for k in differing[:10])
