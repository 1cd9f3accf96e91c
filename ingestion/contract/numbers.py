"""JSON numbers PostgreSQL's jsonb cannot store (its numeric type has limits JSON has not).

jsonb keeps every number as `numeric`: at most 131072 digits before the decimal point and 16383
after it (the scale counts trailing zeros: "1.000" has scale 3), and an exponent beyond about
+-2^30 is refused outright. `1e999999`, `1e-16384` or `0e-999999` are valid JSON, and msgspec
skips them in unknown fields without looking, so the loader checks the literals itself: one
such number anywhere would make PostgreSQL refuse the whole batch.

Hot path: every digit is mapped to "0" (bytes.translate) and two substring searches look for
what could be such a number (an exponent of 4+ digits, or a run of 6000 digits); only those
values are tokenised. Below both, a number has fewer than 6000 mantissa digits and
|exponent| <= 999: within both limits. (A regex search did the same in 20 us a message, more
than the rest of the validation; this takes a few.)
"""
from __future__ import annotations

import re

MAX_INTEGER_DIGITS = 131072   # NUMERIC_WEIGHT_MAX: 32767 base-10000 digits before the point
MAX_SCALE = 16383             # NUMERIC_DSCALE_MAX
MAX_EXPONENT = 2**31 // 2     # numeric_in refuses |exponent| >= INT_MAX / 2

# Digits to "0", "E" to "e", both signs to "s": two searches then cover every spelling.
_FOLD = bytes.maketrans(b"123456789E+-", b"000000000ess")
_LONG_RUN = b"0" * 6000
# A string token (skipped) or a number token; run only on JSON that already parsed.
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)')


def out_of_range_number(value: bytes) -> str | None:
    """The first number literal in a well-formed JSON text that jsonb refuses, else None."""
    folded = value.translate(_FOLD)
    if b"0e0000" not in folded and b"0es0000" not in folded and (len(value) < 6000 or _LONG_RUN not in folded):
        return None
    for match in _TOKEN.finditer(value):
        literal = match.group(1)
        if literal is not None and not fits_numeric(literal):
            return literal.decode()
    return None


def fits_numeric(literal: bytes) -> bool:
    """True when PostgreSQL's numeric input accepts this JSON number literal."""
    mantissa, _, exp_text = literal.lower().lstrip(b"-").partition(b"e")
    exponent = int(exp_text) if exp_text else 0
    if abs(exponent) >= MAX_EXPONENT:
        return False
    whole, _, fraction = mantissa.partition(b".")
    if max(0, len(fraction) - exponent) > MAX_SCALE:
        return False
    digits = (whole + fraction).lstrip(b"0")
    if not digits:  # zero: any weight is fine, only the scale counts
        return True
    # Position of the leading non-zero digit, as a count of digits before the point.
    leading = len(whole.lstrip(b"0")) if whole.strip(b"0") else -(len(fraction) - len(fraction.lstrip(b"0")))
    return leading + exponent <= MAX_INTEGER_DIGITS
