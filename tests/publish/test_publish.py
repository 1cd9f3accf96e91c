"""publish() against the real PostgreSQL: atomic swap, append-only history, revisions, idempotency."""
from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import psycopg
import pytest

from ingestion import db
from publish import GateNotPassed, PublishConfig, PublishError, publish
from tests.publish.build import BUILD, NIGHT, create_build, record_build, record_gate, request, run_sql

CFG = PublishConfig(build_schema=BUILD)


@pytest.fixture()
def night(pg_db) -> str:
    create_build(pg_db)
    record_gate(pg_db)
    return pg_db


def daily_values(dbname: str, publication_id: int) -> dict[tuple[str, str], Decimal | None]:
    rows = run_sql(dbname, """select grain->>'officer_id', measure, value from audit.published_kpi_values_at(%s)
                               where table_name = 'kpi_officer_daily'""", role="auditor", params=(publication_id,))
    return {(o, m): v for o, m, v in rows}


def test_first_publication_copies_the_tables_and_records_every_kpi_value(night):
    result = publish(request(), dbname=night, config=CFG)

    assert result.swapped and result.revisions == 0
    # BI reads the published copy (it has no access to the build schema).
    assert run_sql(night, "select officer_id, cases_received, on_time_rate, on_time_met from marts.kpi_officer_daily "
                          "order by officer_id", role="bi") == [("O1", 2, Decimal("0.5"), False), ("O2", 1, None, None)]
    assert run_sql(night, "select count(*) from marts.fct_cases", role="bi") == [(3,)]
    assert run_sql(night, "select obj_description('marts.kpi_agency_monthly'::regclass, 'pg_class')") == [
        ("KPIs per agency and month",)]
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run_sql(night, f"select * from {BUILD}.kpi_officer_daily", role="bi")

    pub = run_sql(night, """select run_id, local_date, git_commit, dbt_invocation_id, build_schema, swapped,
                                   gate_summary ? 'marts_verdict', tables from audit.publications""", role="auditor")
    assert len(pub) == 1
    run_id, local_date, commit, invocation, schema, swapped, has_verdict, tables = pub[0]
    assert (run_id, local_date, commit, invocation, schema, swapped, has_verdict) == (
        "scheduled__2026-03-02", NIGHT, "abc123", "inv-1", BUILD, True, True)
    assert tables["fct_cases"] == {"rows": 3, "table": "created"}        # cases are published, not their values
    assert tables["kpi_officer_daily"]["values"] == {"changed": 0, "added": 8, "removed": 0}
    # 2 officer-days x 4 measures (cases_received, on_time_rate, on_time_target, on_time_met; month is a key part)
    assert daily_values(night, result.publication_id) == {
        ("O1", "cases_received"): 2, ("O1", "on_time_rate"): Decimal("0.5"), ("O1", "on_time_target"): Decimal("0.9"),
        ("O1", "on_time_met"): 0, ("O2", "cases_received"): 1, ("O2", "on_time_rate"): None,
        ("O2", "on_time_target"): Decimal("0.9"), ("O2", "on_time_met"): None,
    }
    grain = run_sql(night, "select grain from audit.published_kpi_values where table_name = 'kpi_agency_monthly' "
                           "and measure = 'received' order by grain->>'agency_code'", role="auditor")
    assert [g for (g,) in grain] == [{"agency_code": "SKHDT", "month": "2026-03-01"},
                                     {"agency_code": "STP", "month": "2026-03-01"}]
    assert run_sql(night, "select count(*) from audit.published_kpi_values", role="auditor") == [(16,)]


def test_republishing_identical_figures_records_a_publication_and_no_revision(night):
    first = publish(request(), dbname=night, config=CFG)
    record_gate(night)
    second = publish(request(run_id="manual__rerun"), dbname=night, config=CFG)

    assert second.publication_id > first.publication_id and second.revisions == 0
    assert second.tables["kpi_officer_daily"]["values"] == {"changed": 0, "added": 0, "removed": 0}
    assert run_sql(night, "select count(*) from audit.publications", role="auditor") == [(2,)]
    assert run_sql(night, "select count(*) from audit.kpi_value_revisions", role="auditor") == [(0,)]
    assert daily_values(night, second.publication_id) == daily_values(night, first.publication_id)


def test_changed_figures_appear_as_revisions_and_earlier_states_stay_answerable(night):
    first = publish(request(), dbname=night, config=CFG)
    run_sql(night, f"""update {BUILD}.kpi_officer_daily set cases_received = 3, on_time_rate = 0.6667 where officer_id = 'O1';
                       delete from {BUILD}.kpi_officer_daily where officer_id = 'O2';
                       insert into {BUILD}.kpi_officer_daily values ('O3', 'STP', '2026-03-02', '2026-03-01', 1, 1, 0.9, true)""")
    nxt = NIGHT + timedelta(days=1)
    record_gate(night, nxt)
    second = publish(request(nxt), dbname=night, config=CFG)

    assert second.tables["kpi_officer_daily"]["values"] == {"changed": 2, "added": 4, "removed": 4}
    assert second.revisions == 2
    revisions = run_sql(night, """select grain->>'officer_id', measure, previous_value, value, change,
                                         previous_local_date, local_date
                                    from audit.kpi_value_revisions order by 1, 2""", role="auditor")
    assert revisions == [
        ("O1", "cases_received", Decimal(2), Decimal(3), "changed", NIGHT, nxt),
        ("O1", "on_time_rate", Decimal("0.5"), Decimal("0.6667"), "changed", NIGHT, nxt),
        ("O2", "cases_received", Decimal(1), None, "removed", NIGHT, nxt),
        ("O2", "on_time_met", None, None, "removed", NIGHT, nxt),
        ("O2", "on_time_rate", None, None, "removed", NIGHT, nxt),
        ("O2", "on_time_target", Decimal("0.9"), None, "removed", NIGHT, nxt),
    ]
    # What was published after the first night is still answerable, by id and by instant.
    before = daily_values(night, first.publication_id)
    assert before[("O1", "cases_received")] == 2 and ("O2", "cases_received") in before
    after = daily_values(night, second.publication_id)
    assert after[("O1", "cases_received")] == 3 and ("O2", "cases_received") not in after
    assert after[("O3", "on_time_met")] == 1
    at_first = run_sql(night, """select value from audit.published_kpi_values_as_of(%s)
                                  where table_name = 'kpi_officer_daily' and grain->>'officer_id' = 'O1'
                                    and measure = 'cases_received'""", role="auditor", params=(second.published_at - timedelta(microseconds=1),))
    assert at_first == [(Decimal(2),)]
    assert run_sql(night, "select officer_id from marts.kpi_officer_daily order by 1", role="bi") == [("O1",), ("O3",)]


def test_a_failure_inside_the_publication_leaves_marts_and_history_as_they_were(night):
    publish(request(), dbname=night, config=CFG)
    # A duplicated key: the copy into marts succeeds, the history insert then violates its key.
    run_sql(night, f"""drop index {BUILD}.kpi_officer_daily_officer_id_agency_code_activity_date_idx;
                       update {BUILD}.kpi_officer_daily set cases_received = 7;
                       insert into {BUILD}.kpi_officer_daily select * from {BUILD}.kpi_officer_daily where officer_id = 'O1'""")
    record_gate(night)
    with pytest.raises(psycopg.errors.UniqueViolation):
        publish(request(run_id="manual__broken"), dbname=night, config=CFG)

    assert run_sql(night, "select officer_id, cases_received from marts.kpi_officer_daily order by 1", role="bi") == [
        ("O1", 2), ("O2", 1)]
    assert run_sql(night, "select run_id from audit.publications", role="auditor") == [("scheduled__2026-03-02",)]


def test_the_history_is_append_only_for_every_role(night):
    publish(request(), dbname=night, config=CFG)
    statements = ["update audit.publications set run_id = 'forged'", "delete from audit.published_kpi_values",
                  "truncate audit.publications cascade", "delete from audit.publication_chain"]
    for role in ("transform", "gate", "auditor", "bi", "owner"):
        for statement in statements:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                run_sql(night, statement, role=role)
    assert run_sql(night, "select run_id from audit.publications", role="auditor") == [("scheduled__2026-03-02",)]
    # (the owner taking the privileges back, once the history is sealed: tests/publish/test_integrity.py)


@pytest.mark.parametrize("verdict", ["none", "blocked", "no_expectations", "another_build", "no_build"])
def test_nothing_is_published_without_a_passing_verdict_on_this_very_build(pg_db, verdict):
    create_build(pg_db)
    if verdict == "blocked":
        record_gate(pg_db, passed=False)
    elif verdict == "no_expectations":
        record_gate(pg_db, evaluated=0)
    elif verdict == "another_build":
        record_gate(pg_db, invocation="inv-0")     # judged an earlier build, then inv-1 replaced it
    elif verdict == "no_build":
        record_gate(pg_db, invocation=None)        # the gate found no completed build to judge
    with pytest.raises(GateNotPassed) as refused:
        publish(request(), dbname=pg_db, config=CFG)
    reason = {"none": "no marts gate run for 2026-03-02", "blocked": "blocked publication",
              "no_expectations": "evaluated no expectation", "another_build": "judged dbt build inv-0, not the build to "
              "publish (inv-1)", "no_build": "judged no recorded dbt build"}[verdict]
    assert reason in str(refused.value)
    assert run_sql(pg_db, "select count(*) from audit.publications", role="auditor") == [(0,)]
    assert run_sql(pg_db, "select to_regclass('marts.kpi_officer_daily')") == [(None,)]


def test_an_older_night_rerun_after_a_newer_one_goes_to_history_only(night):
    later = NIGHT + timedelta(days=1)
    record_gate(night, later)
    publish(request(later), dbname=night, config=CFG)
    run_sql(night, f"update {BUILD}.kpi_agency_monthly set received = 99")
    older = publish(request(NIGHT), dbname=night, config=CFG)

    assert not older.swapped
    assert run_sql(night, "select received from marts.kpi_agency_monthly order by agency_code", role="bi") == [(2,), (1,)]
    assert older.tables["kpi_agency_monthly"]["values"]["changed"] == 2     # recorded, as figures of that rerun


def test_a_missing_contract_table_stops_the_publication(night):
    run_sql(night, f"drop table {BUILD}.kpi_officer_monthly")
    with pytest.raises(PublishError, match="kpi_officer_monthly"):
        publish(request(), dbname=night, config=CFG)


def test_a_new_column_and_a_scorecard_table_reach_marts(night):
    publish(request(), dbname=night, config=CFG)
    run_sql(night, f"""alter table {BUILD}.kpi_agency_monthly add column complaints integer default 4;
                       create table {BUILD}.kpi_officer_scorecard_monthly (officer_id text, month date, score numeric,
                                                                            primary key (officer_id, month));
                       insert into {BUILD}.kpi_officer_scorecard_monthly values ('O1', '2026-03-01', 87.5)""")
    record_gate(night)
    result = publish(request(run_id="manual__2"), dbname=night, config=CFG)

    assert result.tables["kpi_agency_monthly"]["table"] == "recreated"
    assert result.tables["kpi_agency_monthly"]["values"] == {"changed": 0, "added": 2, "removed": 0}
    assert run_sql(night, "select complaints from marts.kpi_agency_monthly", role="bi") == [(4,), (4,)]
    assert run_sql(night, "select officer_id, score from marts.kpi_officer_scorecard_monthly", role="bi") == [
        ("O1", Decimal("87.5"))]
    assert result.tables["kpi_officer_scorecard_monthly"]["grain"] == ["officer_id", "month"]


def test_in_place_mode_records_history_without_copying(pg_db):
    """Before dbt builds into a build schema, MOTCUA_BUILD_SCHEMA=marts keeps the history going."""
    with db.connect("transform", pg_db, autocommit=True) as conn:
        conn.execute(create_sql_in("marts"))
    record_build(pg_db, schema="marts")
    record_gate(pg_db)
    result = publish(request(), dbname=pg_db, config=PublishConfig(build_schema="marts"))
    assert result.swapped and result.tables["fct_cases"]["table"] == "in place"
    assert run_sql(pg_db, "select count(*) from audit.published_kpi_values", role="auditor") == [(16,)]


def create_sql_in(schema: str) -> str:
    from tests.publish.build import DDL

    return DDL.replace(f"{BUILD}.", f"{schema}.").replace(f"schema if not exists {BUILD}", f"schema if not exists {schema}")


def test_the_build_schema_is_configuration(monkeypatch):
    monkeypatch.setenv("MOTCUA_BUILD_SCHEMA", "nightly_build")
    assert PublishConfig.from_env().build_schema == "nightly_build"
    monkeypatch.delenv("MOTCUA_BUILD_SCHEMA")
    assert PublishConfig.from_env().build_schema == "marts_build"
    monkeypatch.setenv("MOTCUA_BUILD_SCHEMA", "x; drop table y")
    with pytest.raises(ValueError):
        PublishConfig.from_env()


def test_a_scorecard_view_is_published_as_a_table_keyed_as_dbt_declares_it(night, tmp_path):
    """A view over the build's tables becomes a table of its rows; its key comes from dbt's manifest."""
    run_sql(night, f"""create view {BUILD}.scorecard_team_monthly as
                         select agency_code, month, received * 10.0 as points from {BUILD}.kpi_agency_monthly""")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.motcua_kpi.scorecard_team_monthly": {"resource_type": "model", "name": "scorecard_team_monthly",
                                                    "config": {"materialized": "view"}},
        "test.motcua_kpi.unique_combination_x": {
            "resource_type": "test", "attached_node": "model.motcua_kpi.scorecard_team_monthly",
            "test_metadata": {"name": "unique_combination_of_columns",
                              "kwargs": {"combination_of_columns": ["agency_code", "month"]}}}}}))
    result = publish(request(), dbname=night, config=PublishConfig(build_schema=BUILD, manifest_path=manifest))

    assert result.tables["scorecard_team_monthly"]["grain"] == ["agency_code", "month"]
    assert result.tables["scorecard_team_monthly"]["values"] == {"changed": 0, "added": 2, "removed": 0}
    assert run_sql(night, "select relkind from pg_class where oid = 'marts.scorecard_team_monthly'::regclass") == [("r",)]
    assert run_sql(night, "select agency_code, points from marts.scorecard_team_monthly order by 1", role="bi") == [
        ("SKHDT", Decimal("20.0")), ("STP", Decimal("10.0"))]


def test_a_view_left_in_marts_by_an_earlier_in_place_build_is_replaced_by_a_table(night):
    run_sql(night, f"""create view {BUILD}.scorecard_officer_monthly as
                         select officer_id, agency_code, month, cases_received * 1.0 as points from {BUILD}.kpi_officer_monthly;
                       create schema if not exists marts;
                       create view marts.scorecard_officer_monthly as
                         select officer_id, agency_code, month, cases_received * 1.0 as points from {BUILD}.kpi_officer_monthly""")
    result = publish(request(), dbname=night, config=CFG)
    assert result.tables["scorecard_officer_monthly"]["table"] == "recreated"
    assert run_sql(night, "select relkind from pg_class where oid = 'marts.scorecard_officer_monthly'::regclass") == [("r",)]
    assert result.tables["scorecard_officer_monthly"]["values"] == {"changed": 0, "added": 2, "removed": 0}


def test_the_kpi_membership_is_published_to_lineage_with_its_figures_for_auditors_only(night):
    # Which case counts in which KPI row: the auditor's trace must match the published figures,
    # so it is published with them (into lineage, not marts) and follows the build only on publish.
    run_sql(night, f"""create table {BUILD}.kpi_case_membership (case_id text not null, measure text not null,
                           officer_id text, agency_code text not null, activity_date date, month date, value integer);
                       insert into {BUILD}.kpi_case_membership values
                           ('C1', 'received', 'O1', 'SKHDT', '2026-03-02', '2026-03-01', 1),
                           ('C2', 'received', 'O1', 'SKHDT', '2026-03-02', '2026-03-01', 1)""")
    first = publish(request(), dbname=night, config=CFG)

    members = "select case_id from lineage.kpi_case_membership where officer_id = 'O1' order by 1"
    assert run_sql(night, members, role="auditor") == [("C1",), ("C2",)]
    assert first.tables["kpi_case_membership"] == {"rows": 2, "table": "created"}
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run_sql(night, members, role="bi")
    # evidence, not figures: no value history for it
    assert run_sql(night, "select count(*) from audit.published_kpi_values where table_name = 'kpi_case_membership'",
                   role="auditor") == [(0,)]

    # A newer build the gate has not passed yet changes nothing the auditor sees...
    run_sql(night, f"delete from {BUILD}.kpi_case_membership where case_id = 'C2'")
    assert run_sql(night, members, role="auditor") == [("C1",), ("C2",)]
    # ...until it is published.
    record_gate(night)
    publish(request(run_id="manual__rerun"), dbname=night, config=CFG)
    assert run_sql(night, members, role="auditor") == [("C1",)]
