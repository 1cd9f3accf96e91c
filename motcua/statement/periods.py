"""Evaluation periods as the marts name them: '2026-03' (month), '2026-Q1' (quarter), '2026' (year)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from motcua.errors import PermanentError

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(PermanentError, ValueError):
    """A period text that is not YYYY-MM, YYYY-Qn or YYYY."""


@dataclass(frozen=True)
class Period:
    text: str              # as stored in the marts' `period` column
    type: str              # month | quarter | year
    start: date            # first day
    months: tuple[str, ...]  # the months inside it, as month period texts

    @property
    def end(self) -> date:
        """Last day (inclusive)."""
        y, m = (int(x) for x in self.months[-1].split("-"))
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1)


def parse(text: str) -> Period:
    text = text.strip()
    if m := _MONTH.match(text):
        y, mo = int(m[1]), int(m[2])
        return Period(text, "month", date(y, mo, 1), (text,))
    if m := _QUARTER.match(text):
        y, q = int(m[1]), int(m[2])
        months = tuple(f"{y}-{mo:02d}" for mo in range(3 * q - 2, 3 * q + 1))
        return Period(text, "quarter", date(y, 3 * q - 2, 1), months)
    if m := _YEAR.match(text):
        y = int(m[1])
        return Period(text, "year", date(y, 1, 1), tuple(f"{y}-{mo:02d}" for mo in range(1, 13)))
    raise PeriodError(f"{text!r} is not a period: use YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year)")
