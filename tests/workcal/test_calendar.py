"""WorkCalendar against hand-computed cases from docs/domain/working-time-calendar.md and the official decisions.

Expected values are worked out by hand in the comments, never from the code under test.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest

from workcal import CalendarError, Override, WorkCalendar

VN = timezone(timedelta(hours=7))


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_tet_2026_matches_official_break(cal: WorkCalendar) -> None:
    # Official: officials off Sat 14/2/2026 (27 tháng Chạp) to Sun 22/2/2026 (mùng 6), 9 days.
    # Mùng 1 Tết Bính Ngọ = Tue 17/2/2026. Weekdays inside the break: Mon 16 .. Fri 20.
    for day in range(14, 23):
        assert not cal.is_working_day(date(2026, 2, day)), day
    assert cal.is_working_day(date(2026, 2, 13))  # Friday before the break
    assert cal.is_working_day(date(2026, 2, 23))  # Monday after the break
    # February 2026: Feb 1 is a Sunday, 28 days = 4 full weeks = 20 weekdays; minus 5 Tết days.
    assert cal.working_days_between(date(2026, 2, 1), date(2026, 2, 28)) == 15


def test_deadline_across_tet(cal: WorkCalendar) -> None:
    # Thu 12/2 09:00 + 3 working days: Fri 13, Mon 23, Tue 24 -> Tue 24/2 09:00.
    assert cal.add_working_days(at(2026, 2, 12, 9), 3) == at(2026, 2, 24, 9)
    # Fri 13/2 10:00 + 1 working day -> Mon 23/2 10:00 (9-day break in between).
    assert cal.add_working_days(at(2026, 2, 13, 10), 1) == at(2026, 2, 23, 10)


def test_reunification_and_labour_day(cal: WorkCalendar) -> None:
    # 2026: Thu 30/4 and Fri 1/5 off; Giỗ Tổ (10/3 lunar) is Sun 26/4 -> nghỉ bù Mon 27/4.
    assert not cal.is_working_day(date(2026, 4, 30))
    assert not cal.is_working_day(date(2026, 5, 1))
    assert not cal.is_working_day(date(2026, 4, 27))
    assert cal.is_working_day(date(2026, 4, 28))
    assert cal.is_working_day(date(2026, 5, 4))
    # April 2026 starts on a Wednesday: 3 + 5 + 5 + 5 + 4 = 22 weekdays, minus 27/4 and 30/4.
    assert cal.working_days_between(date(2026, 4, 1), date(2026, 4, 30)) == 20


def test_make_up_saturday_2025_is_a_working_day(cal: WorkCalendar) -> None:
    # 2025 swap: Fri 2/5/2025 off, Saturday 26/4/2025 worked (with 30/4 Wed and 1/5 Thu off).
    assert cal.is_working_day(date(2025, 4, 26))
    assert not cal.is_working_day(date(2025, 5, 2))
    assert not cal.is_working_day(date(2025, 4, 27))  # the Sunday stays off
    # Mon 21 .. Sun 4/5: Mon-Fri 21-25 (5) + Sat 26 (1) + Mon 28, Tue 29 (2); 30/4-4/5 off.
    assert cal.working_days_between(date(2025, 4, 21), date(2025, 5, 4)) == 8
    # Fri 25/4 16:30 + 1 working day lands on the make-up Saturday at 16:30.
    assert cal.add_working_days(at(2025, 4, 25, 16, 30), 1) == at(2025, 4, 26, 16, 30)
    # 2024 swap: Mon 29/4/2024 off, Saturday 4/5/2024 worked.
    assert not cal.is_working_day(date(2024, 4, 29))
    assert cal.is_working_day(date(2024, 5, 4))


def test_national_day_with_adjacent_day_since_2021(cal: WorkCalendar) -> None:
    # 2020: only Wed 2/9; Tue 1/9 and Thu 3/9 were working days.
    assert not cal.is_working_day(date(2020, 9, 2))
    assert cal.is_working_day(date(2020, 9, 1)) and cal.is_working_day(date(2020, 9, 3))
    # 2021: Thu 2/9 + Fri 3/9.
    assert not cal.is_working_day(date(2021, 9, 2)) and not cal.is_working_day(date(2021, 9, 3))
    # 2025: Mon 1/9 + Tue 2/9 -> Mon 1 .. Fri 5 has 3 working days.
    assert cal.working_days_between(date(2025, 9, 1), date(2025, 9, 5)) == 3
    # 2026: Tue 1/9 + Wed 2/9, plus the swap Mon 31/8 off / Saturday 22/8 worked.
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.is_working_day(date(2026, 8, 22))
    # Mon 24/8 .. Fri 4/9/2026: 5 (24-28) + 0 (31/8-2/9) + 2 (3, 4) = 7.
    assert cal.working_days_between(date(2026, 8, 24), date(2026, 9, 4)) == 7


def test_working_days_in_a_month(cal: WorkCalendar) -> None:
    # March 2026: Mar 1 is a Sunday; weekdays 2-6, 9-13, 16-20, 23-27, 30-31 = 22, no holiday.
    assert cal.working_days_between(date(2026, 3, 1), date(2026, 3, 31)) == 22
    # January 2026: Thu 1/1 holiday; weekdays 1-2 (2) + 4 full weeks (20) = 22, minus 1 = 21.
    assert cal.working_days_between(date(2026, 1, 1), date(2026, 1, 31)) == 21
    assert cal.working_days_between(date(2026, 3, 31), date(2026, 3, 1)) == 0


def test_friday_afternoon_plus_one_day_is_monday_same_time(cal: WorkCalendar) -> None:
    assert cal.add_working_days(at(2026, 3, 6, 16, 30), 1) == at(2026, 3, 9, 16, 30)
    # Same instant given in UTC (09:30Z = 16:30 local): result is in local time.
    utc = datetime(2026, 3, 6, 9, 30, tzinfo=timezone.utc)
    result = cal.add_working_days(utc, 1)
    assert result == at(2026, 3, 9, 16, 30)
    assert result.utcoffset() == timedelta(hours=7)
    # And the clock between them is exactly one working day of 480 minutes.
    assert cal.working_minutes_between(at(2026, 3, 6, 16, 30), at(2026, 3, 9, 16, 30)) == 480


def test_receipt_after_hours_starts_next_morning(cal: WorkCalendar) -> None:
    # Tue 3/3 17:30: counting starts Wed 4/3 08:00; +1 day (480 min) runs out Wed 4/3 17:00
    # (day-boundary convention: the close of the day, not Thu 5/3 08:00, as in the marts).
    assert cal.add_working_days(at(2026, 3, 3, 17, 30), 1) == at(2026, 3, 4, 17)
    assert cal.add_working_minutes(at(2026, 3, 3, 17, 30), 30) == at(2026, 3, 4, 8, 30)
    # Saturday receipt (not a make-up day): starts Mon 9/3 08:00.
    assert cal.add_working_minutes(at(2026, 3, 7, 10), 60) == at(2026, 3, 9, 9)
    assert cal.next_working_instant(at(2026, 3, 3, 17)) == at(2026, 3, 4, 8)
    assert cal.next_working_instant(at(2026, 3, 3, 6)) == at(2026, 3, 3, 8)


def test_lunch_break_is_excluded(cal: WorkCalendar) -> None:
    assert cal.add_working_minutes(at(2026, 3, 3, 11, 30), 60) == at(2026, 3, 3, 13, 30)
    assert cal.working_minutes_between(at(2026, 3, 3, 11), at(2026, 3, 3, 14)) == 120
    assert cal.add_working_minutes(at(2026, 3, 3, 12, 15), 10) == at(2026, 3, 3, 13, 10)
    # A sum ending exactly at a period end returns that end.
    assert cal.add_working_minutes(at(2026, 3, 3, 16, 30), 30) == at(2026, 3, 3, 17)
    assert not cal.is_working_time(at(2026, 3, 3, 12, 30))
    assert cal.is_working_time(at(2026, 3, 3, 13))
    # Reversed arguments give a negative count; across a weekend: Fri 16:00 -> Mon 09:00 = 60+60.
    assert cal.working_minutes_between(at(2026, 3, 9, 9), at(2026, 3, 6, 16)) == -120


def test_half_day_and_cutoff(cal: WorkCalendar) -> None:
    # 0.5 day = 240 minutes: Mon 2/3 09:00 -> 9-12 (180) + 13:00-14:00 (60) = 14:00.
    assert cal.add_working_days(at(2026, 3, 2, 9), 0.5) == at(2026, 3, 2, 14)
    # 1.5 days from Fri 6/3 16:00: Mon 9/3 16:00, then 60 min to 17:00 + 180 -> Tue 10/3 11:00.
    assert cal.add_working_days(at(2026, 3, 6, 16), 1.5) == at(2026, 3, 10, 11)
    # Cut-off 15:00: a 15:30 receipt on Tue 3/3 starts Wed 4/3 08:00 -> +1 day Wed 4/3 17:00
    # (docs/domain/sla-clock.md, example 13).
    assert cal.add_working_days(at(2026, 3, 3, 15, 30), 1, cutoff=time(15)) == at(2026, 3, 4, 17)
    assert cal.add_working_days(at(2026, 3, 3, 15, 30), 1) == at(2026, 3, 4, 15, 30)
    assert cal.add_working_days(at(2026, 3, 3, 14, 59), 1, cutoff=time(15)) == at(2026, 3, 4, 14, 59)
    with pytest.raises(CalendarError):
        cal.add_working_days(at(2026, 3, 3, 9), -1)
    with pytest.raises(CalendarError):
        cal.add_working_minutes(datetime(2026, 3, 3, 9), 10)  # naive instant


def test_override_wins_over_package() -> None:
    overrides = [
        Override(date(2026, 3, 10), False, None, "closure", "doc A"),  # a normal Tuesday, off
        Override(date(2026, 3, 14), True, None, "make-up Saturday", "doc B"),
        Override(date(2026, 11, 24), True, None, "package holiday worked", "doc C"),
        Override(date(2026, 3, 11), False, "STP", "local closure", "doc D"),
    ]
    cal = WorkCalendar(overrides)
    assert not cal.is_working_day(date(2026, 3, 10))
    assert cal.is_working_day(date(2026, 3, 14))
    assert cal.is_working_day(date(2026, 11, 24))
    assert cal.is_working_day(date(2026, 3, 11))  # STP's closure does not apply to all agencies
    stp = cal.for_agency("STP")
    assert not stp.is_working_day(date(2026, 3, 11))
    # March 2026 had 22 working days: -1 (10/3) +1 (14/3) = 22 for everyone, 21 for STP.
    assert cal.working_days_between(date(2026, 3, 1), date(2026, 3, 31)) == 22
    assert stp.working_days_between(date(2026, 3, 1), date(2026, 3, 31)) == 21
    # Mon 9/3 10:00 + 1 day skips the closed Tuesday -> Wed 11/3 10:00 (STP: Thu 12/3).
    assert cal.add_working_days(at(2026, 3, 9, 10), 1) == at(2026, 3, 11, 10)
    assert stp.add_working_days(at(2026, 3, 9, 10), 1) == at(2026, 3, 12, 10)
    # An agency row beats an all-agency row for the same date.
    both = WorkCalendar([Override(date(2026, 3, 12), False), Override(date(2026, 3, 12), True, "STP")])
    assert not both.is_working_day(date(2026, 3, 12))
    assert both.for_agency("STP").is_working_day(date(2026, 3, 12))
    with pytest.raises(CalendarError):
        WorkCalendar([Override(date(2026, 3, 12), False), Override(date(2026, 3, 12), True)])


def test_custom_office_hours() -> None:
    cal = WorkCalendar(office_hours=((time(7, 30), time(11, 30)), (time(13, 30), time(16, 30))))
    assert cal.daily_minutes == 420
    # Fri 6/3 16:00 + 60 min: 30 min to 16:30, then Mon 9/3 07:30 + 30 = 08:00.
    assert cal.add_working_minutes(at(2026, 3, 6, 16), 60) == at(2026, 3, 9, 8)
    # 0.5 day = 210 min from Mon 07:30: 07:30-11:30 is 240 > 210 -> 11:00.
    assert cal.add_working_days(at(2026, 3, 9, 7, 30), 0.5) == at(2026, 3, 9, 11)
    with pytest.raises(CalendarError):
        WorkCalendar(office_hours=((time(13), time(17)), (time(8), time(12))))


def _brute_add(cal: WorkCalendar, start: datetime, minutes: int) -> datetime:
    """Reference: step minute by minute; a minute [t, t+1) counts when it is office time."""
    t = start
    while minutes:
        local_minutes = t.hour * 60 + t.minute
        if cal.is_working_day(t.date()) and (480 <= local_minutes < 720 or 780 <= local_minutes < 1020):
            minutes -= 1
        t += timedelta(minutes=1)
    return t


def test_fast_axis_matches_minute_by_minute_reference() -> None:
    cal = WorkCalendar()
    cal.is_working_day(date(2030, 1, 1))  # index a later year first, then go back before it
    starts = [at(2026, 2, 12, 16, 59), at(2026, 2, 13, 11, 59), at(2025, 4, 25, 12, 30), at(2026, 8, 21, 17),
              at(2020, 12, 31, 9, 7), at(2026, 3, 7, 23, 59), at(2026, 4, 29, 8)]
    for start in starts:
        for minutes in (1, 59, 240, 241, 479, 480, 1000, 2400):
            expected = _brute_add(cal, start, minutes)
            assert cal.add_working_minutes(start, minutes) == expected, (start, minutes)
            assert cal.working_minutes_between(start, expected) == minutes
            position = cal.working_position(start)
            assert cal.instant_at_position(position + minutes * 60_000_000) == expected


def test_add_working_days_matches_day_stepping_reference() -> None:
    cal = WorkCalendar()

    def reference(start: datetime, n: int) -> datetime:
        t = start
        while not (cal.is_working_day(t.date()) and (time(8) <= t.time() < time(12) or time(13) <= t.time() < time(17))):
            t += timedelta(minutes=1)  # the starts below are whole minutes
        day = t.date()
        for _ in range(n):
            day += timedelta(days=1)
            while not cal.is_working_day(day):
                day += timedelta(days=1)
        if n and t.time() in (time(8), time(13)):
            # a start at an opening runs out at the end of the period before it, that day
            # (08:00 -> 17:00 of the previous working day, 13:00 -> 12:00 the same day)
            if t.time() == time(13):
                return datetime.combine(day, time(12), tzinfo=t.tzinfo)
            day -= timedelta(days=1)
            while not cal.is_working_day(day):
                day -= timedelta(days=1)
            return datetime.combine(day, time(17), tzinfo=t.tzinfo)
        return datetime.combine(day, t.time(), tzinfo=t.tzinfo)

    starts = [at(2026, 2, 12, 8), at(2026, 2, 12, 13), at(2026, 2, 13, 12), at(2026, 2, 13, 17), at(2025, 4, 25, 16, 59),
              at(2026, 8, 21, 12, 30), at(2026, 12, 31, 16), at(2026, 4, 24, 7, 15)]
    for start in starts:
        for n in (0, 1, 2, 3, 5, 10, 15, 20):
            assert cal.add_working_days(start, n) == reference(start, n), (start, n)


def test_deadline_on_a_day_boundary_is_the_close_of_the_day(cal: WorkCalendar) -> None:
    # docs/domain/sla-clock.md, example 1: received Fri 6/3 17:20, 1 working day: the clock starts
    # Mon 9/3 08:00 and the legal deadline is Mon 9/3 17:00 (the marts' instant), not Tue 10/3 08:00.
    assert cal.add_working_days(at(2026, 3, 6, 17, 20), 1) == at(2026, 3, 9, 17)
    # Received Thu 26/2 08:00 (an opening), 2 days: Thu 26/2 + Fri 27/2 run out Fri 27/2 17:00.
    assert cal.add_working_days(at(2026, 2, 26, 8), 2) == at(2026, 2, 27, 17)
    # Received Tue 3/3 13:00 (the afternoon opening), 1 day: 13-17 (240) + Wed 08-12 (240) -> Wed 4/3 12:00.
    assert cal.add_working_days(at(2026, 3, 3, 13), 1) == at(2026, 3, 4, 12)
    # Across Tết: received Fri 13/2 17:30 -> starts Mon 23/2 08:00; 1 day -> Mon 23/2 17:00.
    assert cal.add_working_days(at(2026, 2, 13, 17, 30), 1) == at(2026, 2, 23, 17)


def test_positions_stay_valid_when_the_calendar_extends_backwards() -> None:
    # A fresh calendar first asked about a later instant, then an earlier one: Mon 25/5/2026 08:00
    # to Thu 25/6/2026 09:46:23 = 23 working days (25/5 - 24/6, no holiday) x 480 + 106 min 23 s.
    cal = WorkCalendar()
    assert cal.working_minutes_between(at(2026, 5, 25, 8), at(2026, 6, 25, 9, 46) + timedelta(seconds=23)) == pytest.approx(11040 + 106 + 23 / 60)
    later = WorkCalendar()
    position = later.working_position(at(2026, 6, 25, 9))
    earlier = later.working_position(at(2025, 1, 6, 9))      # extends the index a year and a half back
    assert later.working_position(at(2026, 6, 25, 9)) == position
    assert later.instant_at_position(position) == at(2026, 6, 25, 9)
    assert (position - earlier) / 60_000_000 == later.working_minutes_between(at(2025, 1, 6, 9), at(2026, 6, 25, 9))
