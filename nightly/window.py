"""The night a run covers: [D 02:00, D+1 02:00) in the project's time zone."""
from __future__ import annotations

from datetime import date, datetime

from motcua.settings import TIMEZONE
from publish.errors import PermanentFailure


def local_date_of(interval_start: datetime, timezone: str = TIMEZONE) -> date:
    from zoneinfo import ZoneInfo

    return interval_start.astimezone(ZoneInfo(timezone)).date()


def night_window(start: datetime | None, end: datetime | None, run_after: datetime, conf: dict | None,
                 timezone: str = TIMEZONE, hour: int = 2) -> tuple[datetime, datetime]:
    """The interval [D hour:00, D+1 hour:00) local that a run covers.

    Scheduled runs (and `airflow dags test`) carry it as their data interval. A run triggered
    without a logical date has none: conf {"night": "YYYY-MM-DD"} picks the night, else the last
    complete night before the trigger, as a scheduled run at that time would have covered.
    """
    from datetime import time as clock
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(timezone)
    night = (conf or {}).get("night")
    if night:
        try:
            start = datetime.combine(date.fromisoformat(str(night)), clock(hour), tzinfo=tz)
        except ValueError as exc:
            raise PermanentFailure(f'conf "night" must be a date YYYY-MM-DD, got {night!r}') from exc
        return start, start + timedelta(days=1)
    if start is not None and end is not None:
        return start, end
    local = run_after.astimezone(tz)
    end = datetime.combine(local.date(), clock(hour), tzinfo=tz)
    if end > local:
        end -= timedelta(days=1)
    return end - timedelta(days=1), end
