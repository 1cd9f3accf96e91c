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

The SLA clock (docs/domain/sla-clock.md):
- Working time = office periods (default 08:00-12:00 and 13:00-17:00) of working days.
  Periods are half-open: 12:00 and 17:00 are not working minutes, the next one is 13:00 / 08:00.
- `add_working_minutes` starts counting at the first working minute at or after the instant; a
  sum that ends exactly at a period end returns that end (16:30 + 30 min = 17:00 the same day).
- `add_working_days(receipt, N)` is the legal deadline: the receipt is first moved to the next
  working minute (and, with a cut-off hour, receipts at or after it move to the next working
  day's opening), then the deadline is the same clock time N working days later. A fractional
  part is a share of one day's office minutes (0.5 day = 240 minutes with default hours),
  added with `add_working_minutes`. So `working_minutes_between(receipt, deadline)` equals
  N x daily minutes for any receipt. A deadline that falls on a period boundary is the end of
  the earlier period (a clock started at 08:00 Monday, 1 day: Monday 17:00, not Tuesday 08:00),
  the convention of the published marts (docs/domain/working-time-calendar.md).
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from motcua.errors import PermanentError

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(13), time(17)))
ONE_DAY = timedelta(days=1)
_US_PER_SECOND = 1_000_000
_US_PER_MINUTE = 60 * _US_PER_SECOND
_US_PER_DAY = 86_400 * _US_PER_SECOND
# A run of non-working days longer than this means a broken override table, not a holiday.
MAX_DAYS_WITHOUT_WORK = 366


class CalendarError(PermanentError, ValueError):
    """Invalid calendar configuration or an impossible calendar computation."""


@dataclass(frozen=True)
class Override:
    """One row of dbt_project/seeds/calendar_overrides.csv."""

    calendar_date: date
    is_working_day: bool
    agency_code: str | None = None  # None = all agencies
    reason: str = ""
    source_document: str = ""


def _validate_office_hours(office_hours: Sequence[tuple[time, time]]) -> tuple[tuple[int, int], ...]:
    """Office periods as (start, end) microseconds since midnight."""
    if not office_hours:
        raise CalendarError("office_hours must contain at least one period")
    periods = []
    previous_end = 0
    for start, end in office_hours:
        s = _US_PER_SECOND * (start.hour * 3600 + start.minute * 60 + start.second)
        e = _US_PER_DAY if end == time(0) else _US_PER_SECOND * (end.hour * 3600 + end.minute * 60 + end.second)
        if not s < e or s < previous_end:
            raise CalendarError(f"office hours must be ordered, non-overlapping periods: {office_hours!r}")
        periods.append((s, e))
        previous_end = e
    return tuple(periods)


def _local_naive(instant: datetime) -> datetime:
    if instant.tzinfo is VN_TZ:  # fast path: ZoneInfo instances are cached per key
        return instant.replace(tzinfo=None)
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise CalendarError(f"instant must be timezone-aware: {instant!r}")
    return instant.astimezone(VN_TZ).replace(tzinfo=None)


def _us_of_day(local: datetime) -> int:
    return (local.hour * 3600 + local.minute * 60 + local.second) * _US_PER_SECOND + local.microsecond


class WorkCalendar:
    """Working days and working time of Vietnam's public offices (optionally of one agency).

    Internally, working time is a single axis: `_cum[i]` is the working microseconds before day
    `_base + i` (ordinal), so adding or measuring working time is a lookup plus a bisection
    instead of a walk over days.
    """

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
        self._day_us = sum(e - s for s, e in self._periods)
        self.daily_minutes = self._day_us / _US_PER_MINUTE
        self._all_overrides = tuple(overrides or ())
        self._overrides = self._resolve_overrides(self._all_overrides, agency_code)
        self._holidays = holidays.country_holidays("VN", language="vi")
        self._years_loaded: set[int] = set()
        self._cache: dict[date, bool] = {}
        self._base: int | None = None
        self._cum: list[int] = []

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
        if end_date < start_date:
            return 0
        lo, hi = start_date.toordinal(), end_date.toordinal()
        self._ensure(lo, hi)
        return (self._cum[hi - self._base + 1] - self._cum[lo - self._base]) // self._day_us

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for _ in range(MAX_DAYS_WITHOUT_WORK):
            day += ONE_DAY
            if self.is_working_day(day):
                return day
        raise CalendarError(f"no working day within {MAX_DAYS_WITHOUT_WORK} days after {day}")

    # -- the working-time axis ----------------------------------------------------------------
    def _ensure(self, lo: int, hi: int) -> None:
        """Index days with ordinals lo..hi (inclusive), a year of margin at a time."""
        if self._base is None:
            self._base, self._cum = lo, [0]
        if lo < self._base:
            new_base = lo - 366
            prefix = [0]
            for o in range(new_base, self._base):
                prefix.append(prefix[-1] + (self._day_us if self.is_working_day(date.fromordinal(o)) else 0))
            shift = prefix.pop()
            # Earlier days get positions below the old first day's: positions already handed
            # out stay valid (shifting them would break a difference taken across the extension).
            first = self._cum[0]
            self._cum = [p - shift + first for p in prefix] + self._cum
            self._base = new_base
        cum = self._cum
        next_day = self._base + len(cum) - 1  # first day not yet indexed
        if hi >= next_day:
            for o in range(next_day, hi + 367):
                cum.append(cum[-1] + (self._day_us if self.is_working_day(date.fromordinal(o)) else 0))

    def _position(self, local: datetime) -> int:
        """Working microseconds before `local` on the axis."""
        o = local.toordinal()
        self._ensure(o, o)
        i = o - self._base
        pos = self._cum[i]
        if self._cum[i + 1] > pos:  # a working day
            us = _us_of_day(local)
            for s, e in self._periods:
                if us > s:
                    pos += min(us, e) - s
        return pos

    def _instant_at(self, pos: int) -> datetime:
        """The earliest local instant at axis position `pos` (> 0 working time into a day):
        a period end rather than the next period's start."""
        for _ in range(MAX_DAYS_WITHOUT_WORK):
            if self._cum[-1] >= pos:
                break
            before = self._cum[-1]
            last = self._base + len(self._cum) - 2
            self._ensure(last, last + 1)
            if self._cum[-1] == before:
                raise CalendarError("calendar has no working time ahead")
        j = bisect_left(self._cum, pos)
        if j == 0:
            raise CalendarError("position before the indexed calendar")  # callers never do this
        within = pos - self._cum[j - 1]
        for s, e in self._periods:
            if within <= e - s:
                return datetime.fromordinal(self._base + j - 1) + timedelta(microseconds=s + within)
            within -= e - s
        raise CalendarError("position beyond the day's office hours")  # unreachable

    # -- instants -----------------------------------------------------------------------------
    def is_working_time(self, instant: datetime) -> bool:
        local = _local_naive(instant)
        if not self.is_working_day(local.date()):
            return False
        us = _us_of_day(local)
        return any(s <= us < e for s, e in self._periods)

    def _normalize(self, local: datetime) -> datetime:
        """First working instant at or after `local` (naive local)."""
        day = local.date()
        if self.is_working_day(day):
            us = _us_of_day(local)
            for s, e in self._periods:
                if us < e:
                    return local if us >= s else datetime(day.year, day.month, day.day) + timedelta(microseconds=s)
        day = self.next_working_day(day)
        return datetime(day.year, day.month, day.day) + timedelta(microseconds=self._periods[0][0])

    def next_working_instant(self, instant: datetime, cutoff: time | None = None) -> datetime:
        """First working minute at or after `instant`.

        With a cut-off hour (e.g. 15:00), an instant on a working day at or after the cut-off
        starts at the opening of the next working day.
        """
        local = _local_naive(instant)
        if cutoff is not None and self.is_working_day(local.date()) and local.time() >= cutoff:
            day = self.next_working_day(local.date())
            local = datetime(day.year, day.month, day.day)
        return self._normalize(local).replace(tzinfo=VN_TZ)

    def add_working_minutes(self, instant: datetime, minutes: float) -> datetime:
        """`instant` plus `minutes` of working time (counting from the next working minute)."""
        if minutes < 0 or not math.isfinite(minutes):
            raise CalendarError(f"minutes must be a finite number >= 0, got {minutes}")
        local = _local_naive(instant)
        us = round(minutes * _US_PER_MINUTE)
        if us == 0:
            return self._normalize(local).replace(tzinfo=VN_TZ)
        return self._instant_at(self._position(local) + us).replace(tzinfo=VN_TZ)

    def working_position(self, instant: datetime) -> int:
        """Working microseconds since an arbitrary origin, for fast arithmetic on many instants.

        Differences of positions are working time; all instants of one gap between periods
        share a position. Only compare positions from the same calendar instance.
        """
        return self._position(_local_naive(instant))

    def instant_at_position(self, position: int) -> datetime:
        """Inverse of working_position for a position inside working time; a position that
        ends a period maps to that period's end (12:00, 17:00), like add_working_minutes."""
        return self._instant_at(position).replace(tzinfo=VN_TZ)

    def working_minutes_between(self, a: datetime, b: datetime) -> float:
        """Working minutes in [a, b); negative when b is before a."""
        return (self._position(_local_naive(b)) - self._position(_local_naive(a))) / _US_PER_MINUTE

    def add_working_days(self, instant: datetime, days: float, *, cutoff: time | None = None) -> datetime:
        """Legal deadline: receipt `instant` + `days` working days (see the module docstring)."""
        if days < 0 or not math.isfinite(days):
            raise CalendarError(f"days must be a finite number >= 0, got {days}")
        start = _local_naive(self.next_working_instant(instant, cutoff))
        whole = int(days)
        if whole:
            # Every working day holds exactly one day of office time, so "same clock time N
            # working days later" is N days further on the axis. A start at a period opening
            # lands on the previous period's end (08:00 + 1 day = 17:00 the day before the
            # next opening): the deadline is the instant the allotted working time runs out
            # (docs/domain/working-time-calendar.md, day-boundary convention), as in the marts.
            result = self._instant_at(self._position(start) + whole * self._day_us)
        else:
            result = start
        fraction = days - whole
        if fraction:
            return self.add_working_minutes(result.replace(tzinfo=VN_TZ), fraction * self.daily_minutes)
        return result.replace(tzinfo=VN_TZ)
