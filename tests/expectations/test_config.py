"""Configuration, data interval and comparable days: no database needed."""
from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from expectations.config import GateConfig, GateConfigError
from expectations.interval import DataInterval, IntervalError, volume_reference
from publish.config import PublishConfig


def test_config_from_env_parses_types():
    cfg = GateConfig.from_env({
        "MOTCUA_GX_SYSTEM_START": "2019-07-01", "MOTCUA_GX_FUTURE_TOLERANCE_S": "60",
        "MOTCUA_GX_VOLUME_MAD_K": "3.5", "MOTCUA_GX_DATA_DOCS_DIR": "/tmp/x",
    })
    assert cfg.system_start == date(2019, 7, 1)
    assert cfg.future_tolerance_s == 60
    assert cfg.volume_mad_k == 3.5
    assert cfg.data_docs_dir == Path("/tmp/x")
    assert GateConfig.from_env({}).quarantine_critical_share == 0.05


def test_marts_schema_follows_the_build_schema():
    # by default the gate judges the schema publish copies from, not the one BI reads
    assert GateConfig.from_env({}).marts_schema == PublishConfig().build_schema == "marts_build"
    assert GateConfig.from_env({"MOTCUA_BUILD_SCHEMA": "nightly_build"}).marts_schema == "nightly_build"
    assert GateConfig.from_env({"MOTCUA_BUILD_SCHEMA": "nightly_build",
                                "MOTCUA_GX_MARTS_SCHEMA": "other"}).marts_schema == "other"
    with pytest.raises(GateConfigError, match="identifier"):
        GateConfig.from_env({"MOTCUA_BUILD_SCHEMA": "x; drop table y"})


def test_config_rejects_garbage():
    with pytest.raises(GateConfigError, match="MOTCUA_GX_MAX_EVENTS_PER_CASE"):
        GateConfig.from_env({"MOTCUA_GX_MAX_EVENTS_PER_CASE": "many"})


def test_interval_is_the_local_day():
    iv = DataInterval.for_day("2026-03-18")
    assert iv.start.astimezone(timezone.utc) == datetime(2026, 3, 17, 17, 0, tzinfo=timezone.utc)
    assert iv.end.astimezone(timezone.utc) == datetime(2026, 3, 18, 17, 0, tzinfo=timezone.utc)
    with pytest.raises(IntervalError):
        DataInterval.for_day("18/03/2026")


def test_volume_reference_compares_like_with_like():
    # Wednesday 18 March 2026: the 14 days before hold 10 working days (weekends excluded).
    ref = volume_reference(date(2026, 3, 18), 14)
    assert ref.day_is_working
    assert len(ref.days) == 10
    assert all(d.weekday() < 5 for d in ref.days)
    # Tết 2026 (Mon 16 - Fri 20 February are days off): a Tết day is compared with days off.
    tet = volume_reference(date(2026, 2, 18), 14)
    assert not tet.day_is_working
    assert date(2026, 2, 17) in tet.days and date(2026, 2, 14) in tet.days
    assert date(2026, 2, 13) not in tet.days
