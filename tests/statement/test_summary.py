"""The demo's evaluation step: band distributions of the last complete month and quarter, one
officer's statement; one line when the evaluation marts are empty."""
from __future__ import annotations

import subprocess
import sys
from datetime import date

from ingestion.settings import PROJECT_ROOT
from motcua.statement.summary import summarize
from tests.conftest import fresh_database


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


def test_empty_evaluation_marts_are_one_line(services, tmp_path):
    with fresh_database() as empty:
        done = subprocess.run([sys.executable, "-m", "motcua.statement.summary", "--as-of", "2026-04-10",
                               "--database", empty, "--out", str(tmp_path)], capture_output=True, text=True,
                              cwd=PROJECT_ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("evaluation: the evaluation marts are empty (no staff events evaluated yet): "
                           "no band distribution, no statement\n")
