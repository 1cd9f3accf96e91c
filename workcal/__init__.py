"""Vietnam's working-time calendar (public holidays, swaps, overrides, office hours, SLA clock)."""
from workcal.calendar import DEFAULT_OFFICE_HOURS, VN_TZ, CalendarError, Override, WorkCalendar
from workcal.overrides import OverrideFileError, load_overrides


def default_calendar(agency_code: str | None = None) -> WorkCalendar:
    """The production calendar: the holidays package plus the overrides seed of the repo."""
    return WorkCalendar(load_overrides(), agency_code=agency_code)


__all__ = [
    "DEFAULT_OFFICE_HOURS", "VN_TZ", "CalendarError", "Override", "OverrideFileError", "WorkCalendar",
    "default_calendar", "load_overrides",
]
