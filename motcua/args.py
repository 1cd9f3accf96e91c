"""argparse pieces every command shares: a parser whose errors are one line, and strict types.

A value that argparse accepts is one the command can use: no empty names, no negative counts,
no dates that do not parse. The error names the option and says what is expected.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import date, datetime
from typing import NoReturn

from motcua.errors import EXIT_UNUSABLE, PermanentError

KAFKA_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
HOST_PORT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default and keeps the description's own line breaks.

    A help text that already names its default (e.g. "default: $KAFKA_TOPIC") is left as it is,
    and so are flags: "(default: False)" tells nobody anything.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if ("default" in text or action.default is None or action.default is False
                or action.default == argparse.SUPPRESS or not action.option_strings):
            return text
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line on stderr, exit 2."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see '{self.prog} --help')\n")
        sys.exit(EXIT_UNUSABLE)


def non_empty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def kafka_name(text: str) -> str:
    """A topic or consumer group name as Kafka accepts it."""
    text = non_empty(text)
    if not KAFKA_NAME.match(text) or text in (".", ".."):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a Kafka name (letters, digits, '.', '_', '-'; at most 249 characters)")
    return text


def bootstrap_servers(text: str) -> str:
    """HOST:PORT[,HOST:PORT…]."""
    parts = [p.strip() for p in non_empty(text).split(",")]
    for part in parts:
        if not HOST_PORT.match(part) or not 0 < int(part.rsplit(":", 1)[1]) < 65536:
            raise argparse.ArgumentTypeError(f"expected HOST:PORT[,HOST:PORT…], got {text!r}")
    return ",".join(parts)


def _number(text: str, kind: type):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None


def positive_int(text: str) -> int:
    value = _number(text, int)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def positive_float(text: str) -> float:
    value = _number(text, float)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def rate(text: str) -> float:
    """A share between 0 and 1."""
    value = _number(text, float)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a share between 0 and 1, got {text!r}")
    return value


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def year(text: str) -> int:
    value = _number(text, int)
    if not 1900 <= value <= 2200:
        raise argparse.ArgumentTypeError(f"expected a year between 1900 and 2200, got {value}")
    return value


def aware_instant(text: str) -> datetime:
    """An ISO 8601 instant with its UTC offset (a naive time would mean a different instant per host)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO instant like 2026-03-03T08:00+07:00, got {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; write e.g. {text}+07:00")
    return value


def env_value(name: str, default: str, check) -> str:
    """An environment variable checked like the option it stands for; a bad value is a config error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return check(raw)
    except argparse.ArgumentTypeError as exc:
        raise PermanentError(f"environment variable {name}={raw!r}: {exc}",
                             hint=f"unset {name} or give it a valid value") from None
