"""One exception root: every exception class the project defines is a MotcuaError of one kind, and
retry decisions go by that kind (motcua.errors.retryable), never by the wording of a message."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
import socket

import psycopg
import pytest

from motcua import db
from motcua.errors import GateBlocked, MotcuaError, PermanentError, Stopped, TransientError, retryable
from publish.errors import DataGateBlocked, PermanentFailure, TransientFailure

PACKAGES = ("motcua", "nightly", "ingestion", "publish", "expectations", "workcal")
# Bases that callers catch as a family; only their subclasses of one kind are raised.
FAMILIES = {"motcua.errors.MotcuaError", "motcua.db.DatabaseConfigError", "motcua.docs.DocsError",
            "publish.errors.NightlyError"}
KINDS = (TransientError, PermanentError, GateBlocked, Stopped)


def project_exceptions() -> dict[str, type]:
    found: dict[str, type] = {}
    for name in PACKAGES:
        package = importlib.import_module(name)
        modules = [package] + [importlib.import_module(m.name)
                               for m in pkgutil.walk_packages(package.__path__, prefix=f"{name}.")
                               if not m.name.endswith("__main__")]   # a __main__ runs its command when imported
        for module in modules:
            for cls_name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                    found[f"{cls.__module__}.{cls_name}"] = cls
    return found


def test_every_project_exception_derives_from_the_root_and_has_one_kind():
    found = project_exceptions()
    # The walk sees the classes it should (a walk that imports nothing would prove nothing).
    for name in ("ingestion.checkpoint.PositionGapError", "ingestion.contract.timestamps.TimestampError",
                 "ingestion.kafka_client.TopicNotFoundError", "expectations.gate.GateError",
                 "publish.errors.DataGateBlocked", "publish.builds.BuildNotComplete", "nightly.nightlock.NightBusy",
                 "workcal.calendar.CalendarError", "motcua.db.DatabaseUnreachable", "motcua.nightly.UsageError"):
        assert name in found, name
    assert len(found) >= 40
    assert [n for n, cls in found.items() if not issubclass(cls, MotcuaError)] == []
    unkinded = [n for n, cls in found.items()
                if n not in FAMILIES and sum(issubclass(cls, kind) for kind in KINDS) != 1]
    assert unkinded == []


def test_exceptions_callers_catch_as_value_or_runtime_errors_still_are():
    from expectations.config import GateConfigError
    from ingestion.checkpoint import PositionGapError
    from publish.config import PublishConfigError
    from workcal.calendar import CalendarError

    assert issubclass(GateConfigError, ValueError) and issubclass(CalendarError, ValueError)
    assert issubclass(PublishConfigError, ValueError) and issubclass(PositionGapError, RuntimeError)
    assert issubclass(db.DatabaseUnreachable, db.DatabaseConfigError)


def test_the_nightly_kinds_are_the_root_kinds_and_a_blocked_gate_exits_3():
    assert issubclass(TransientFailure, TransientError) and issubclass(PermanentFailure, PermanentError)
    assert issubclass(DataGateBlocked, GateBlocked)
    assert DataGateBlocked("blocked").exit_code == 3 and PermanentFailure("broken").exit_code == 2


def test_a_retry_is_decided_by_type_not_by_the_message():
    text = "could not connect to server: Connection refused"
    assert retryable(TransientError("the build failed")) is True        # no outage word, still retried
    assert retryable(PermanentError(text)) is False                     # outage words, not retried
    assert retryable(GateBlocked(text)) is False
    assert retryable(Exception(text)) is False                          # an unclassified text is no outage
    assert retryable(TransientFailure("x")) and not retryable(DataGateBlocked("x"))


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_database_is_classified_where_it_happens(monkeypatch):
    monkeypatch.setenv("PGHOST", "127.0.0.1")
    monkeypatch.setenv("PGPORT", str(closed_port()))
    with pytest.raises(db.DatabaseUnreachable) as down:
        db.connect("ingest")
    assert isinstance(down.value, TransientError) and retryable(down.value)
    with pytest.raises(db.DatabaseSettingsError) as bad:
        db.connect("superuser")
    assert isinstance(bad.value, PermanentError) and not retryable(bad.value)

    # A library that wraps the driver's error (as GX does) keeps the driver's type in the chain.
    try:
        try:
            psycopg.connect(db.conninfo("ingest"))
        except psycopg.OperationalError as exc:
            raise RuntimeError("validation failed") from exc
    except RuntimeError as wrapped:
        assert retryable(wrapped) is True
    # The code that wrapped a failure judged it: the outermost kind decides.
    try:
        try:
            db.connect("ingest")
        except db.DatabaseUnreachable as exc:
            raise PermanentFailure("the step gives up") from exc
    except PermanentFailure as judged:
        assert retryable(judged) is False


def test_the_gate_step_retries_a_database_outage(monkeypatch):
    from datetime import date

    from nightly.gate import gate

    monkeypatch.setenv("PGPORT", str(closed_port()))
    with pytest.raises(TransientFailure, match="gate raw: PostgreSQL at 127.0.0.1:"):
        gate(("raw",), date(2026, 3, 2))
