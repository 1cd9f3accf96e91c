"""The data interval of one gate run: one local calendar day in Asia/Ho_Chi_Minh.

Raw and staging checks look at the events that arrived that day (ingested in it);
the volume band compares the day with earlier days of the same kind (working vs non-working
per `workcal`, so a Sunday or Tết is compared with other days off, not with busy Mondays).
Marts checks cover the whole build about to be published (every table, every month).
With nightly batch ingestion (no continuous loader), the events of day D arrive on the next
night's run and are judged with the arrivals of D+1: each event is still judged exactly once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from motcua.errors import PermanentError


class IntervalError(PermanentError, ValueError):
    """The date of the run cannot be understood."""


@dataclass(frozen=True)
class DataInterval:
    day: date
    start: datetime   # aware, local midnight
    end: datetime     # aware, next local midnight (exclusive)

    @classmethod
    def for_day(cls, day: date | str, timezone: str = "Asia/Ho_Chi_Minh") -> "DataInterval":
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError as exc:
                raise IntervalError(f"expected a date YYYY-MM-DD, got {day!r}") from exc
        if isinstance(day, datetime):
            raise IntervalError("pass a date, not a datetime: the interval is a whole local day")
        tz = ZoneInfo(timezone)
        start = datetime.combine(day, time(0), tzinfo=tz)
        return cls(day=day, start=start, end=datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz))

    def sql_start(self) -> str:
        return f"timestamptz '{self.start.isoformat()}'"

    def sql_end(self) -> str:
        return f"timestamptz '{self.end.isoformat()}'"


@dataclass(frozen=True)
class VolumeReference:
    """The earlier days the day's volume is compared with, and agencies closed on the day."""

    days: tuple[date, ...]
    day_is_working: bool
    closed_agencies: tuple[str, ...]


def volume_reference(day: date, lookback_days: int) -> VolumeReference:
    # Imported here: workcal loads the holidays package, which the CLI's --help does not need.
    from workcal import default_calendar, load_overrides

    cal = default_calendar()
    working = cal.is_working_day(day)
    days = tuple(
        d for d in (day - timedelta(days=k) for k in range(1, lookback_days + 1))
        if cal.is_working_day(d) == working
    )
    closed = tuple(sorted({
        ov.agency_code for ov in load_overrides()
        if ov.agency_code and ov.calendar_date == day and not ov.is_working_day
    }))
    return VolumeReference(days=days, day_is_working=working, closed_agencies=closed)
