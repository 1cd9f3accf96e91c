"""One-line errors and the exit codes every command documents.

Exit status of every command:
  0  done
  1  a check found a problem (e.g. reconcile mismatch)
  2  could not do the job: bad usage or configuration, a service unreachable, a time limit
     reached, or stopped by SIGINT/SIGTERM before the job was finished
  3  blocked by a quality gate

A command raises a MotcuaError (or lets a known library error through) and its main() turns it
into ONE line on stderr, `prog: what happened; what to do`, with the exit code. Tracebacks are
for bugs, and even then only with MOTCUA_DEBUG=1: an operator reads one line.

MotcuaError is the root of every exception the project defines. Each one is a TransientError
(an outage, a time limit: the same run may succeed later), a PermanentError (usage,
configuration, code: a rerun gives the same answer), a GateBlocked (a quality gate refused the
data: exit 3) or Stopped (a signal). The failure is classified where it happens (motcua.db
raises DatabaseUnreachable, the Kafka client a TransientError for a silent broker), and retry
decisions go by that type (retryable()), never by the wording of a message.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_UNUSABLE = 2
EXIT_BLOCKED = 3

SERVICES_HINT = "start the services with 'make up', check them with 'make status'"


class MotcuaError(Exception):
    """An error an operator can act on: a message, a hint saying what to do, an exit code."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, message: str, *, hint: str = "", exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def one_line(self) -> str:
        text = first_line(self.message)
        return f"{text}; {self.hint}" if self.hint else text


class TransientError(MotcuaError):
    """A service is unreachable or a time limit ran out: the same command may succeed later."""


class PermanentError(MotcuaError):
    """Usage or configuration is wrong: running it again unchanged gives the same answer."""


class GateBlocked(MotcuaError):
    """A quality gate (GX, a failing dbt data test, an unverified build) refused the data: exit 3.
    Rerunning does not help until the data or the figures change."""

    exit_code = EXIT_BLOCKED


class Stopped(MotcuaError):
    """SIGINT/SIGTERM arrived before the job was finished."""


def first_line(text: object) -> str:
    """The first non-empty line of an error text (drivers add detail lines an operator skips)."""
    for line in str(text).splitlines():
        if line.strip():
            return line.strip()
    return str(text).strip() or "unknown error"


def _pg_target() -> str:
    return f"{os.environ.get('PGHOST', '127.0.0.1')}:{os.environ.get('PGPORT', '25432')}"


def translate(exc: BaseException) -> MotcuaError | None:
    """Known library errors as MotcuaErrors; None for anything else (a bug)."""
    if isinstance(exc, MotcuaError):
        return exc
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        psycopg = None
    if psycopg is not None:
        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            user = os.environ.get("PGUSER")
            return PermanentError(
                f"PostgreSQL refused: {first_line(exc)}",
                hint=("this command runs as its own project role: unset PGUSER/PGPASSWORD"
                      + (f" (now {user})" if user else "") + " or use a role granted this object"))
        if isinstance(exc, psycopg.OperationalError):
            return TransientError(f"PostgreSQL at {_pg_target()} is unreachable: {first_line(exc)}",
                                  hint=f"{SERVICES_HINT}, or set PGHOST/PGPORT/PGDATABASE")
        if isinstance(exc, psycopg.Error):
            return PermanentError(f"PostgreSQL error: {first_line(exc)}",
                                  hint="check that the migrations ran ('motcua ingest migrate')")
    try:
        from kafka.errors import KafkaConnectionError, KafkaError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(exc, KafkaConnectionError) or (isinstance(exc, KafkaError) and "bootstrap" in str(exc).lower()):
        servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
        return broker_unreachable(servers)
    if isinstance(exc, KafkaError):
        return TransientError(f"Kafka error: {first_line(exc)}", hint=SERVICES_HINT)
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return PermanentError(f"{exc.strerror}: {exc.filename}", hint="check the path and its permissions")
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (raise … from, or raised while handling), outermost first."""
    links: list[BaseException] = []
    while exc is not None and all(exc is not seen for seen in links):
        links.append(exc)
        exc = exc.__cause__ or exc.__context__
    return links


def _library_outage(exc: BaseException) -> bool:
    """Library errors that are outages by their type: the database or the broker went away, a lock
    wait or a statement timed out (psycopg's OperationalError family, SQLAlchemy's wrapper of it)."""
    try:
        import psycopg
        if isinstance(exc, psycopg.OperationalError):
            return True
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    try:
        import psycopg2   # the driver Great Expectations' SQLAlchemy engine uses
        if isinstance(exc, psycopg2.OperationalError):
            return True
    except ImportError:  # pragma: no cover
        pass
    try:
        from sqlalchemy import exc as sa
        if isinstance(exc, (sa.OperationalError, sa.DisconnectionError, sa.TimeoutError)):
            return True
    except ImportError:  # pragma: no cover - a dependency of Great Expectations
        pass
    try:
        from kafka.errors import KafkaConnectionError, NoBrokersAvailable
        return isinstance(exc, (KafkaConnectionError, NoBrokersAvailable))
    except ImportError:  # pragma: no cover
        return False


def retryable(exc: BaseException) -> bool:
    """Whether running the same step again may succeed, decided by type: the outermost exception
    of the chain that has a class decides (the code that wrapped a failure already judged it);
    a TransientError or a library outage (see _library_outage) retries, anything else does not."""
    for link in _chain(exc):
        if isinstance(link, TransientError) or _library_outage(link):
            return True
        if isinstance(link, MotcuaError):
            return False
    return False


def broker_unreachable(servers: str, timeout: float | None = None) -> TransientError:
    waited = f" (no answer within {timeout:g}s)" if timeout else ""
    return TransientError(
        f"broker at {servers} is unreachable{waited}",
        hint=f"{SERVICES_HINT}, or set KAFKA_BOOTSTRAP_SERVERS (or --bootstrap-servers) to a running broker")


def report(prog: str, error: MotcuaError) -> int:
    print(f"{prog}: {error.one_line()}", file=sys.stderr, flush=True)
    return error.exit_code


def _stop(signum: int, _frame) -> None:
    raise Stopped(f"stopped by {signal.Signals(signum).name} before the job was finished", hint="run it again")


def run_command(prog: str, body: Callable[[], int]) -> int:
    """Run a command's body; every failure becomes one line on stderr and a documented code.

    SIGTERM stops the body like Ctrl-C does (commands with a loop install their own handlers,
    which finish the work in hand first).
    """
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _stop)
    try:
        return int(body() or 0)
    except KeyboardInterrupt:
        return report(prog, Stopped("stopped by SIGINT before the job was finished", hint="run it again"))
    except Exception as exc:  # noqa: BLE001 - the one place a command's failure becomes its exit code
        known = translate(exc)
        if known is not None:
            return report(prog, known)
        if os.environ.get("MOTCUA_DEBUG"):
            raise
        return report(prog, MotcuaError(f"unexpected {type(exc).__name__}: {first_line(exc)}",
                                        hint="a bug: rerun with MOTCUA_DEBUG=1 for the traceback and report it"))
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
