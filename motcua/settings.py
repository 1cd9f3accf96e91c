"""The project's settings, read by every package: time zone, state folder, build schema, database
roles, secrets and Kafka (from the environment: libpq PG* variables, KAFKA_*, MOTCUA_*)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# The local time of every night, working day and KPI period (one-stop-shop offices are in Vietnam).
TIMEZONE = "Asia/Ho_Chi_Minh"
# The project's PostgreSQL roles, one per job (motcua_<role>; migrations/002_grants.sql and 021).
ROLES = ("owner", "ingest", "transform", "gate", "bi", "auditor")
# Where dbt builds the marts the gate judges before publish swaps them into BI's schema.
DEFAULT_BUILD_SCHEMA = "marts_build"


DBT_PROJECT = PROJECT_ROOT / "dbt_project"


def dbt_target_path() -> Path:
    """dbt's target folder, one per deployment: partial parsing and run_results.json live there."""
    return Path(os.environ.get("MOTCUA_DBT_TARGET_PATH") or state_dir() / "dbt" / "target")


def build_schema() -> str:
    """MOTCUA_BUILD_SCHEMA, else marts_build (publish/config.py checks it is a plain identifier)."""
    return os.environ.get("MOTCUA_BUILD_SCHEMA", "").strip() or DEFAULT_BUILD_SCHEMA


def state_dir() -> Path:
    return Path(os.environ.get("MOTCUA_STATE_DIR", PROJECT_ROOT / ".local"))


# What each kind of job needs, and nothing more: a process holds only its own role's password
# (motcua.db reads it when connecting) and only dbt gets the HMAC key.
DBT_SECRETS = ("MOTCUA_TRANSFORM_PASSWORD", "MOTCUA_PII_HMAC_KEY")


def secrets_file() -> Path:
    return state_dir() / "secrets.env"


def local_secret(name: str) -> str | None:
    """One secret: the environment's value, else the git-ignored file written by services/postgres.sh.

    Values already in the environment win: production injects them from its secret store.
    Reading does not copy anything into os.environ, so the process keeps no other secret.
    """
    if os.environ.get(name):
        return os.environ[name]
    path = secrets_file()
    if not path.exists():
        return None
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == name:
            return value.strip() or None
    return None


def role_password_var(role: str) -> str:
    return f"MOTCUA_{role.upper()}_PASSWORD"


def load_local_secrets(name: str, *more: str) -> None:
    """Put the named secrets (and only those) into os.environ, for a child process such as dbt.

    Names are required on purpose: a job asks for what it needs (e.g. DBT_SECRETS), never "all".
    """
    for n in (name, *more):
        if not n.startswith("MOTCUA_"):
            raise ValueError(f"{n!r} is not a MOTCUA_* secret name")
        value = local_secret(n)
        if value is not None:
            os.environ.setdefault(n, value)


@dataclass(frozen=True)
class KafkaSettings:
    bootstrap_servers: str
    topic: str
    consumer_group: str

    @classmethod
    def from_env(cls) -> "KafkaSettings":
        return cls(
            bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
            topic=os.environ.get("KAFKA_TOPIC", "motcua.case-events"),
            consumer_group=os.environ.get("KAFKA_CONSUMER_GROUP", "motcua-raw-loader"),
        )


def system_start() -> datetime:
    """The earliest occurred_at the loader accepts: MOTCUA_GX_SYSTEM_START (a date, the same
    variable the quality gate reads), at midnight in Asia/Ho_Chi_Minh; default 2018-01-01."""
    return _system_start(os.environ.get("MOTCUA_GX_SYSTEM_START", "").strip())


@lru_cache(maxsize=4)
def _system_start(raw: str) -> datetime:
    try:
        day = date.fromisoformat(raw) if raw else date(2018, 1, 1)
    except ValueError:
        raise ValueError(f"MOTCUA_GX_SYSTEM_START={raw!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(TIMEZONE))
