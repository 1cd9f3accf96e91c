"""docker-compose.yml is a valid Compose file (checked by the real Compose binary)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = Path(sys.executable).parent / "docker-compose"
# Every secret the stack uses: each one is required, none has a fallback value.
SECRETS = ("POSTGRES_PASSWORD", "MOTCUA_OWNER_PASSWORD", "MOTCUA_INGEST_PASSWORD", "MOTCUA_TRANSFORM_PASSWORD",
           "MOTCUA_GATE_PASSWORD", "MOTCUA_BI_PASSWORD", "MOTCUA_AUDITOR_PASSWORD", "MOTCUA_PII_HMAC_KEY",
           "MOTCUA_KAFKA_ADMIN_PASSWORD", "MOTCUA_KAFKA_LOADER_PASSWORD", "MOTCUA_KAFKA_PRODUCER_PASSWORD",
           "MOTCUA_KAFKA_CONTROLLER_PASSWORD")
DUMMY_SECRETS = {k: f"dummy-{k.lower()}" for k in SECRETS}


def compose_config(*extra: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMPOSE), "-f", str(ROOT / "docker-compose.yml"), "config", *extra],
                          env=env, capture_output=True, text=True, cwd=ROOT)


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in DUMMY_SECRETS}


def test_compose_file_is_valid_and_defines_the_stack():
    env = {**clean_env(), **DUMMY_SECRETS}
    assert compose_config("-q", env=env).returncode == 0
    services = compose_config("--services", env=env).stdout.split()
    assert {"kafka", "postgres", "migrate", "seal-history", "loader", "airflow"} <= set(services)


def test_compose_refuses_to_start_without_secrets():
    result = compose_config("-q", env=clean_env())
    assert result.returncode != 0
    assert "MOTCUA_INGEST_PASSWORD" in result.stderr


@pytest.mark.parametrize("missing", SECRETS)
def test_every_password_is_required(missing):
    env = {**clean_env(), **{k: v for k, v in DUMMY_SECRETS.items() if k != missing}}
    result = compose_config("-q", env=env)
    assert result.returncode != 0, f"compose starts without {missing}"
    assert missing in result.stderr


def test_no_fallback_password_and_each_service_gets_only_its_secrets():
    assert "change-me" not in (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in (ROOT / "services" / "compose-init-roles.sh").read_text()
    result = compose_config(env={**clean_env(), **DUMMY_SECRETS})
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    secrets = {name: {v for v in (svc.get("environment") or {}).values() if str(v).startswith("dummy-")}
               for name, svc in services.items()}
    d = DUMMY_SECRETS
    assert secrets["loader"] == {d["MOTCUA_INGEST_PASSWORD"], d["MOTCUA_KAFKA_LOADER_PASSWORD"]}
    assert secrets["migrate"] == {d["MOTCUA_OWNER_PASSWORD"], d["MOTCUA_KAFKA_ADMIN_PASSWORD"]}
    assert secrets["airflow"] == {d["MOTCUA_INGEST_PASSWORD"], d["MOTCUA_TRANSFORM_PASSWORD"], d["MOTCUA_GATE_PASSWORD"],
                                  d["MOTCUA_PII_HMAC_KEY"], d["MOTCUA_KAFKA_LOADER_PASSWORD"]}
    assert secrets["seal-history"] == {d["POSTGRES_PASSWORD"]}     # the superuser step, nothing else
    # Kafka clients authenticate with SASL/SCRAM by default
    for name in ("migrate", "loader", "airflow"):
        assert services[name]["environment"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"


def test_compose_init_roles_refuses_an_empty_password():
    # the initdb hook itself stops before psql runs (instead of creating a role with a known password)
    env = {**clean_env(), **DUMMY_SECRETS}
    env.pop("MOTCUA_AUDITOR_PASSWORD")
    result = subprocess.run(["bash", str(ROOT / "services" / "compose-init-roles.sh")], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "MOTCUA_AUDITOR_PASSWORD is required" in result.stderr
