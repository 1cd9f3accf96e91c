"""The statement's sentences and numbers: hand-written expectations for each band situation."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from motcua.eval_settings import band_of, settings_at
from motcua.statement import explain
from motcua.statement.periods import PeriodError, parse

SETTINGS = settings_at(date(2026, 3, 1))
GROUP = {"excellent_before": 3, "good_before": 9, "quota_k": 2}


def test_the_settings_file_holds_method_v1():
    assert {k: SETTINGS[k] for k in ("task_max", "general_max", "band_excellent_min", "band_good_min",
                                     "band_pass_min", "quota_ratio", "min_cases")} == {
        "task_max": 70, "general_max": 30, "band_excellent_min": 90, "band_good_min": 70, "band_pass_min": 50,
        "quota_ratio": Decimal("0.2"), "min_cases": 5}
    assert [band_of(Decimal(t), SETTINGS) for t in ("90", "89.99", "70", "50", "49.9")] == \
        ["excellent", "good", "good", "pass", "fail"]


def test_tied_officers_at_the_cut_read_that_both_were_demoted():
    officer = {"band_before_quota": "excellent", "band": "good", "total_points": Decimal("93"), "rank_in_group": 2,
               "quota_demoted": True, "quota_tie": True}
    assert explain.band_rule(officer, GROUP, SETTINGS, "vi") == (
        "Ở nhóm này có 12 công chức được xếp loại xuất sắc hoặc tốt; tối đa 2 người giữ mức xuất sắc (số xuất sắc "
        "không vượt quá 20 % số xếp loại tốt: ⌊0,2 × 12 ÷ 1,2⌋ = 2); ông/bà xếp thứ 2, bằng điểm với người khác ở "
        "ranh giới và những người bằng điểm không thể cùng giữ mức nên đều được xếp Hoàn thành tốt nhiệm vụ.")


def test_the_top_officer_keeps_excellent_and_a_low_total_reads_its_threshold():
    top = {"band_before_quota": "excellent", "band": "excellent", "total_points": Decimal("96"), "rank_in_group": 1}
    assert explain.band_rule(top, GROUP, SETTINGS, "en").endswith(
        "you are at rank 1, so you keep Excellent (Hoàn thành xuất sắc nhiệm vụ).")
    low = {"band_before_quota": "fail", "band": "fail", "total_points": Decimal("42.5")}
    assert explain.band_rule(low, None, SETTINGS, "vi").startswith(
        "Tổng điểm 42,5 nằm trong khoảng dưới 50 nên được xếp loại Không hoàn thành nhiệm vụ;")


def test_pending_reasons_in_words():
    officer = {"band_before_quota": "pending", "band": "pending", "pending_reasons": "no_position,too_few_scored_months"}
    assert explain.band_rule(officer, None, SETTINGS, "en") == (
        "Not banded yet, for lack of data: no job position is known for you in the period; too few months of the "
        "period were scored (a quarter needs 2, a year 6).")


def test_numbers_in_each_notation():
    assert explain.num(Decimal("1234.5678"), "vi") == "1.234,57"
    assert explain.num(Decimal("1234.5678"), "en") == "1,234.57"
    assert explain.num(Decimal("27.000"), "vi") == "27" and explain.num(None, "vi") == "—"
    assert explain.kpi_value("on_time_rate", Decimal("0.8825"), "vi") == "88,3 %"


def test_periods():
    q = parse("2026-Q1")
    assert (q.type, q.start, q.end, q.months) == ("quarter", date(2026, 1, 1), date(2026, 3, 31),
                                                   ("2026-01", "2026-02", "2026-03"))
    assert parse("2026").end == date(2026, 12, 31) and parse("2026-02").end == date(2026, 2, 28)
    with pytest.raises(PeriodError):
        parse("2026-Q5")
