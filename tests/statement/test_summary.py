"""The demo's evaluation step: band distributions of the last complete month and quarter, one
officer's statement; one line when the evaluation marts are empty."""
from __future__ import annotations

import subprocess
import sys
from datetime import date

from ingestion.settings import PROJECT_ROOT
from ingestion import db
from motcua.statement.summary import summarize
from tests.conftest import fresh_database
from tests.statement import eval_marts as em


def test_distributions_and_a_statement(published, tmp_path):
    lines = summarize(date(2026, 4, 10), tmp_path, published)

    assert lines[:3] == [
        "Band distribution after the quota, month 2026-03 (marts.eval_group_period):",
        "  agency  officers  excellent  good  pass  fail  pending",
        "  SKHDT         14          2    10     1     0        1",
    ]
    assert lines[3:6] == [
        "Band distribution after the quota, quarter 2026-Q1 (marts.eval_group_period):",
        "  agency  officers  excellent  good  pass  fail  pending",
        "  SKHDT          1          0     1     0     0        0",
    ]
    path = tmp_path / "SKHDT-CB10_2026-03.html"
    assert lines[6] == f"Officer's statement (phiếu kết quả đánh giá) of SKHDT-CB10 for 2026-03: {path}"
    assert path.is_file()


def test_a_month_not_yet_over_is_not_complete(published, tmp_path):
    lines = summarize(date(2026, 3, 30), tmp_path, published)
    assert lines[0] == "Band distribution after the quota, month 2026-02 (marts.eval_group_period):"
    assert lines[3] == "evaluation: no complete quarter on or before 2026-03-30 in the evaluation marts"


def test_a_month_nobody_is_banded_in_yet_gives_the_quarters_statement(published, tmp_path):
    # April complete, its one officer pending (no manager assessment yet); Q1 complete and banded.
    # April ends after every other test's as-of date, so they do not see it.
    april = (em.OFFICER, "month", "2026-04", em.AGENCY, em.UNIT, em.GROUP, "2026-04-01", "2026-04-30", "60", None,
             "1", None, "pending", "pending", False, False, None, "no_manager_assessment", None)
    with db.connect("transform", published) as conn:
        em.insert(conn, "marts", "eval_officer_period", [april])
        em.insert(conn, "marts", "eval_group_period",
                  [(em.AGENCY, em.GROUP, "month", "2026-04", 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0)])
    lines = summarize(date(2026, 5, 5), tmp_path, published)
    assert lines[0] == "Band distribution after the quota, month 2026-04 (marts.eval_group_period):"
    assert lines[2] == "  SKHDT          1          0     0     0     0        1"
    assert lines[3] == "Band distribution after the quota, quarter 2026-Q1 (marts.eval_group_period):"
    path = tmp_path / f"{em.OFFICER}_2026-Q1.html"
    assert lines[6] == f"Officer's statement (phiếu kết quả đánh giá) of {em.OFFICER} for 2026-Q1: {path}"
    assert path.is_file()


def test_empty_evaluation_marts_are_one_line(services, tmp_path):
    with fresh_database() as empty:
        done = subprocess.run([sys.executable, "-m", "motcua.statement.summary", "--as-of", "2026-04-10",
                               "--database", empty, "--out", str(tmp_path)], capture_output=True, text=True,
                              cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("evaluation: the evaluation marts are empty (no staff events evaluated yet): "
                           "no band distribution, no statement\n")
