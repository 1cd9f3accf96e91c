"""How the nightly steps classify failures (retry or not), from dbt's run_results.json."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from publish.errors import DataGateBlocked, PermanentFailure, TransientFailure
from publish.provenance import read_run_results
from nightly.transform import classify_dbt_failure
from nightly.window import local_date_of


def test_failing_data_tests_block_like_a_gate():
    results = [{"unique_id": "model.motcua_kpi.fct_cases", "status": "success"},
               {"unique_id": "test.motcua_kpi.unique_fct_cases_case_id", "status": "fail", "message": "Got 2 results"}]
    exc = classify_dbt_failure(1, "", results)
    assert isinstance(exc, DataGateBlocked) and "unique_fct_cases_case_id" in str(exc)


def test_a_database_outage_is_transient_and_a_broken_model_is_not():
    down = [{"unique_id": "model.motcua_kpi.fct_cases", "status": "error",
             "message": 'connection to server at "127.0.0.1", port 55432 failed: Connection refused'}]
    assert isinstance(classify_dbt_failure(1, "", down), TransientFailure)
    assert isinstance(classify_dbt_failure(2, "could not connect to server: Connection refused", None), TransientFailure)
    broken = [{"unique_id": "model.motcua_kpi.fct_cases", "status": "error",
               "message": 'column "recieved_at" does not exist'}]
    exc = classify_dbt_failure(1, "", broken)
    assert isinstance(exc, PermanentFailure) and 'recieved_at' in str(exc)


def test_run_results_give_the_invocation_id(tmp_path):
    (tmp_path / "run_results.json").write_text(json.dumps({
        "metadata": {"invocation_id": "5b0c…", "generated_at": "2026-03-03T19:10:00.123456Z"},
        "elapsed_time": 61.5,
        "results": [{"status": "success"}, {"status": "pass"}, {"status": "pass"}]}))
    run, results = read_run_results(tmp_path)
    assert run.invocation_id == "5b0c…" and run.elapsed_s == 61.5 and len(results) == 3
    assert run.generated_at == datetime(2026, 3, 3, 19, 10, 0, 123456, tzinfo=timezone.utc)
    assert run.statuses == {"success": 1, "pass": 2}
    assert read_run_results(tmp_path / "nowhere") is None


def test_the_night_is_the_local_date_of_the_interval_start():
    # [02:00, 02:00) local: 2026-03-02 19:00 UTC is 2026-03-03 02:00 in Hà Nội.
    assert local_date_of(datetime(2026, 3, 2, 19, 0, tzinfo=timezone.utc)) == date(2026, 3, 3)


def test_a_run_without_a_data_interval_covers_the_last_complete_night_or_the_one_named():
    from zoneinfo import ZoneInfo

    from nightly.window import night_window

    ict = ZoneInfo("Asia/Ho_Chi_Minh")
    # Triggered at 01:30 local on 5 March: 02:00 has not come yet, so the last complete night is 3 March.
    start, end = night_window(None, None, datetime(2026, 3, 4, 18, 30, tzinfo=timezone.utc), None)
    assert (start, end) == (datetime(2026, 3, 3, 2, tzinfo=ict), datetime(2026, 3, 4, 2, tzinfo=ict))
    start, _ = night_window(None, None, datetime(2026, 3, 4, 19, 30, tzinfo=timezone.utc), {})
    assert start == datetime(2026, 3, 4, 2, tzinfo=ict)
    start, end = night_window(None, None, datetime(2026, 3, 4, 19, 30, tzinfo=timezone.utc), {"night": "2026-02-27"})
    assert (start, end) == (datetime(2026, 2, 27, 2, tzinfo=ict), datetime(2026, 2, 28, 2, tzinfo=ict))
    scheduled = (datetime(2026, 3, 1, 19, tzinfo=timezone.utc), datetime(2026, 3, 2, 19, tzinfo=timezone.utc))
    assert night_window(*scheduled, datetime(2026, 3, 3, tzinfo=timezone.utc), None) == scheduled
    with pytest.raises(PermanentFailure):
        night_window(None, None, datetime(2026, 3, 4, tzinfo=timezone.utc), {"night": "3/2/2026"})


def test_a_new_as_of_each_night_keeps_dbt_partial_parsing(tmp_path):
    # The nightly dbt steps pass as_of through the environment: dbt then re-uses its parse of the
    # project from the night before. A changed --vars value (what they passed before) re-parses all.
    from nightly import transform
    from nightly.run import run_child

    target = tmp_path / "target"

    def parse(*extra: str, as_of: str) -> str:
        rc, out = run_child(transform.dbt_command("parse", *extra, target=target), extra_env=transform.as_of_env(as_of),
                            cwd=transform.DBT_PROJECT, timeout=600)
        assert rc == 0, out[-3000:]
        return out

    parse(as_of="2026-03-02T02:00:00+07:00")
    assert "Unable to do partial parsing" not in parse(as_of="2026-03-03T02:00:00+07:00")
    assert "Unable to do partial parsing" in parse("--vars", '{"as_of": "2026-03-04T02:00:00+07:00"}',
                                                   as_of="2026-03-04T02:00:00+07:00")


def test_a_gx_store_clash_is_transient_and_a_gx_bug_is_not(monkeypatch, pg_db):
    """Two gates rewriting the same GX suite: "not fresh" is worth a retry, not a blocked night."""
    from datetime import date

    import expectations.gate as gate_module
    from great_expectations.exceptions.resource_freshness import (
        CheckpointRelatedResourcesFreshnessError, ResourceFreshnessError,
    )

    from nightly import gate as steps
    from publish.errors import PermanentFailure, TransientFailure

    monkeypatch.setenv("PGDATABASE", pg_db)

    def clash(layer, day):
        raise CheckpointRelatedResourcesFreshnessError([ResourceFreshnessError("ExpectationSuite 'raw' has changed")])

    monkeypatch.setattr(gate_module, "run_gate", clash)
    with pytest.raises(TransientFailure, match="gate raw"):
        steps.gate(("raw",), date(2026, 2, 2))

    def bug(layer, day):
        raise KeyError("expectation_type")

    monkeypatch.setattr(gate_module, "run_gate", bug)
    with pytest.raises(PermanentFailure, match="KeyError"):
        steps.gate(("raw",), date(2026, 2, 2))


def test_a_child_process_logs_its_summary_warnings_and_errors_not_its_chatter(capsys, tmp_path):
    import sys

    from nightly.run import run_child as _run

    chatter = "\n".join(f"12:00:{i:02d}  {i} of 60 OK created sql view model staging.m{i}" for i in range(60))
    script = f"print({chatter!r}); print('12:01:00  [WARNING]: Deprecated functionality'); " \
             "print('12:01:01  Done. PASS=40 WARN=1 ERROR=0 SKIP=0 TOTAL=41')"
    rc, out = _run([sys.executable, "-c", script], cwd=tmp_path, timeout=60)
    shown = capsys.readouterr().out
    assert rc == 0 and out.count("OK created") == 60          # the caller still gets everything
    assert "OK created" not in shown
    assert "[WARNING]: Deprecated functionality" in shown and "Done. PASS=40 WARN=1" in shown

    rc, _ = _run([sys.executable, "-c", f"print({chatter!r}); raise SystemExit(2)"], cwd=tmp_path, timeout=60)
    shown = capsys.readouterr().out
    assert rc == 2 and "  59 of 60 OK created" in shown and "  5 of 60 OK created" not in shown   # the tail
