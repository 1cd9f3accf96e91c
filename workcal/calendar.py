"""Vietnam's working-time calendar: working days, office hours and the SLA clock.

Layers, lowest first:
1. Weekends: Saturday and Sunday are days off.
2. The `holidays` package (country VN): public holidays, observed days off ("nghỉ bù"),
   substituted days off of announced swaps, and the make-up Saturdays of those swaps
   (`weekend_workdays`), which are working days.
3. Overrides (see `workcal.overrides`): announced swaps the package does not know yet and local
   closures. An override for this calendar's agency beats an override for all agencies, which
   beats the package.

Time: every instant is converted to Asia/Ho_Chi_Minh (UTC+7, no daylight saving since 1975, so
naive local wall-clock arithmetic is exact); results are aware datetimes in that zone.

The SLA clock (domain.md, "The SLA clock"):
- Working time = office periods (default 08:00-12:00 and 13:00-17:00) of working days.
  Periods are half-open: 12:00 and 17:00 are not working minutes, the next one is 13:00 / 08:00.
- `add_working_minutes` starts counting at the first working minute at or after the instant; a
  sum that ends exactly at a period end returns that end (16:30 + 30 min = 17:00 the same day).
- `add_working_days(receipt, N)` is the legal deadline: the receipt is first moved to the next
  working minute (and, with a cut-off hour, receipts at or after it move to the next working
  day's opening), then the deadline is the same clock time N working days later. A fractional
  part is a share of one day's office minutes (0.5 day = 240 minutes with default hours),
  added with `add_working_minutes`. So `working_minutes_between(receipt, deadline)` equals
  N x daily minutes for any receipt.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(13), time(17)))
ONE_DAY = timedelta(days=1)
# A run of non-working days longer than this means a broken override table, not a holiday.
MAX_DAYS_WITHOUT_WORK = 366


class CalendarError(ValueError):
    """Invalid calendar configuration or an impossible calendar computation."""


@dataclass(frozen=True)
class Override:
    """One row of dbt_project/seeds/calendar_overrides.csv."""

    calendar_date: date
    is_working_day: bool
    agency_code: str | None = None  # None = all agencies
    reason: str = ""
    source_document: str = ""


def _validate_office_hours(office_hours: Sequence[tuple[time, time]]) -> tuple[tuple[timedelta, timedelta], ...]:
    if not office_hours:
        raise CalendarError("office_hours must contain at least one period")
    periods = []
    previous_end = timedelta(0)
    for start, end in office_hours:
        s = timedelta(hours=start.hour, minutes=start.minute, seconds=start.second)
        e = timedelta(hours=end.hour, minutes=end.minute, seconds=end.second)
        if end == time(0):  # a period ending at midnight
            e = ONE_DAY
        if not s < e or s < previous_end:
            raise CalendarError(f"office hours must be ordered, non-overlapping periods: {office_hours!r}")
        periods.append((s, e))
        previous_end = e
    return tuple(periods)


def _local_naive(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(f"instant must be timezone-aware: {instant!r}")
    return instant.astimezone(VN_TZ).replace(tzinfo=None)


class WorkCalendar:
    """Working days and working time of Vietnam's public offices (optionally of one agency)."""

    def __init__(
        self,
        overrides: Iterable[Override] | None = None,
        office_hours: Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        *,
        agency_code: str | None = None,
    ) -> None:
        self.agency_code = agency_code
        self.office_hours = tuple(office_hours)
        self._periods = _validate_office_hours(self.office_hours)
        self.daily_minutes = sum((e - s for s, e in self._periods), timedelta()) / timedelta(minutes=1)
        self._all_overrides = tuple(overrides or ())
        self._overrides = self._resolve_overrides(self._all_overrides, agency_code)
        self._holidays = holidays.country_holidays("VN", language="vi")
        self._years_loaded: set[int] = set()
        self._cache: dict[date, bool] = {}

    @staticmethod
    def _resolve_overrides(overrides: Sequence[Override], agency_code: str | None) -> dict[date, bool]:
        general: dict[date, bool] = {}
        specific: dict[date, bool] = {}
        for ov in overrides:
            if ov.agency_code is None:
                target = general
            elif ov.agency_code == agency_code:
                target = specific
            else:
                continue  # another agency's closure
            if target.get(ov.calendar_date, ov.is_working_day) != ov.is_working_day:
                raise CalendarError(f"contradictory overrides for {ov.calendar_date} (agency {ov.agency_code})")
            target[ov.calendar_date] = ov.is_working_day
        return {**general, **specific}

    def for_agency(self, agency_code: str | None) -> WorkCalendar:
        """The same calendar seen by one agency (its local overrides apply)."""
        return WorkCalendar(self._all_overrides, self.office_hours, agency_code=agency_code)

    # -- days ---------------------------------------------------------------------------------
    def _package_is_working_day(self, day: date) -> bool:
        # Swaps can cross a year boundary (2018: 31/12 off, Saturday 5/1/2019 worked), so the
        # neighbouring years are loaded too before asking the package.
        for year in (day.year - 1, day.year, day.year + 1):
            if year not in self._years_loaded:
                self._holidays.get(date(year, 6, 1))  # expand=True populates that year
                self._years_loaded.add(year)
        return self._holidays.is_working_day(day)

    def is_working_day(self, day: date) -> bool:
        cached = self._cache.get(day)
        if cached is None:
            cached = self._overrides.get(day)
            if cached is None:
                cached = self._package_is_working_day(day)
            self._cache[day] = cached
        return cached

    def working_days_between(self, start_date: date, end_date: date) -> int:
        """Working days d with start_date <= d <= end_date (both included); 0 if end < start."""
        count = 0
        day = start_date
        while day <= end_date:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for _ in range(MAX_DAYS_WITHOUT_WORK):
            day += ONE_DAY
            if self.is_working_day(day):
                return day
        raise CalendarError(f"no working day within {MAX_DAYS_WITHOUT_WORK} days after {day}")

    # -- instants -----------------------------------------------------------------------------
    def is_working_time(self, instant: datetime) -> bool:
        local = _local_naive(instant)
        if not self.is_working_day(local.date()):
            return False
        offset = local - datetime.combine(local.date(), time())
        return any(s <= offset < e for s, e in self._periods)

    def _advance(self, local: datetime, remaining: timedelta) -> datetime:
        """Core walk: add `remaining` working time to a naive local datetime."""
        cursor = local
        day = local.date()
        for _ in range(MAX_DAYS_WITHOUT_WORK * 40):
            if self.is_working_day(day):
                midnight = datetime(day.year, day.month, day.day)
                for s, e in self._periods:
                    period_end = midnight + e
                    if cursor >= period_end:
                        continue
                    begin = max(cursor, midnight + s)
                    available = period_end - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
                    cursor = period_end
            day += ONE_DAY
            cursor = datetime(day.year, day.month, day.day)
        raise CalendarError(f"could not add working time from {local}: calendar has no working time")

    def next_working_instant(self, instant: datetime, cutoff: time | None = None) -> datetime:
        """First working minute at or after `instant`.

        With a cut-off hour (e.g. 15:00), an instant on a working day at or after the cut-off
        starts at the opening of the next working day.
        """
        local = _local_naive(instant)
        if cutoff is not None and self.is_working_day(local.date()) and local.time() >= cutoff:
            day = self.next_working_day(local.date())
            return (datetime.combine(day, time()) + self._periods[0][0]).replace(tzinfo=VN_TZ)
        return self._advance(local, timedelta(0)).replace(tzinfo=VN_TZ)

    def add_working_minutes(self, instant: datetime, minutes: float) -> datetime:
        """`instant` plus `minutes` of working time (counting from the next working minute)."""
        if minutes < 0:
            raise CalendarError(f"minutes must be >= 0, got {minutes}")
        return self._advance(_local_naive(instant), timedelta(minutes=minutes)).replace(tzinfo=VN_TZ)

    def working_minutes_between(self, a: datetime, b: datetime) -> float:
        """Working minutes in [a, b); negative when b is before a."""
        lo, hi = _local_naive(a), _local_naive(b)
        if hi < lo:
            return -self.working_minutes_between(b, a)
        total = timedelta(0)
        day = lo.date()
        while day <= hi.date():
            if self.is_working_day(day):
                midnight = datetime(day.year, day.month, day.day)
                for s, e in self._periods:
                    overlap = min(hi, midnight + e) - max(lo, midnight + s)
                    if overlap > timedelta(0):
                        total += overlap
            day += ONE_DAY
        return total / timedelta(minutes=1)

    def add_working_days(self, instant: datetime, days: float, *, cutoff: time | None = None) -> datetime:
        """Legal deadline: receipt `instant` + `days` working days (see the module docstring)."""
        if days < 0 or not math.isfinite(days):
            raise CalendarError(f"days must be a finite number >= 0, got {days}")
        start = _local_naive(self.next_working_instant(instant, cutoff))
        whole = int(days)
        day = start.date()
        for _ in range(whole):
            day = self.next_working_day(day)
        result = datetime.combine(day, start.time()).replace(tzinfo=VN_TZ)
        fraction = days - whole
        if fraction:
            result = self.add_working_minutes(result, fraction * self.daily_minutes)
        return result
