"""Runtime configuration from the environment (libpq PG* variables, Kafka, state folder)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    return Path(os.environ.get("MOTCUA_STATE_DIR", PROJECT_ROOT / ".local"))


def load_local_secrets() -> None:
    """Fill missing MOTCUA_* secrets from the git-ignored file written by services/postgres.sh.

    Values already in the environment win: production injects them from its secret store.
    """
    path = state_dir() / "secrets.env"
    if not path.exists():
        return
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.startswith("MOTCUA_"):
            os.environ.setdefault(name.strip(), value.strip())


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
