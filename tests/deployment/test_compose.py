"""docker-compose.yml is a valid Compose file (checked by the real Compose binary)."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = Path(sys.executable).parent / "docker-compose"
DUMMY_SECRETS = {k: "x" for k in ("POSTGRES_PASSWORD", "MOTCUA_OWNER_PASSWORD", "MOTCUA_INGEST_PASSWORD",
                                  "MOTCUA_TRANSFORM_PASSWORD", "MOTCUA_PII_HMAC_KEY")}


def compose_config(*extra: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"), "config", *extra],
                          env=env, capture_output=True, text=True, cwd=ROOT)


def test_compose_file_is_valid_and_defines_the_stack():
    env = {**os.environ, **DUMMY_SECRETS}
    assert compose_config("-q", env=env).returncode == 0
    services = compose_config("--services", env=env).stdout.split()
    assert {"kafka", "postgres", "migrate", "loader", "airflow"} <= set(services)


def test_compose_refuses_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in DUMMY_SECRETS}
    result = compose_config("-q", env=env)
    assert result.returncode != 0
    assert "MOTCUA_INGEST_PASSWORD" in result.stderr
