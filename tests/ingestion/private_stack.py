"""A private PostgreSQL + Kafka pair on other ports, for tests that kill or restart services.

Restarting the shared services would disturb every other test; these tests get their own.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class PrivateStack:
    state_dir: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def service(self, script: str, action: str) -> None:
        result = subprocess.run(["bash", str(ROOT / "services" / script), action], env=self.env,
                                capture_output=True, text=True, timeout=180)
        if result.returncode != 0:
            raise RuntimeError(f"services/{script} {action} failed:\n{result.stdout}\n{result.stderr}")

    def cli(self, *args: str, **env) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "ingestion.cli", *args], env={**self.env, **env},
                              capture_output=True, text=True, timeout=600, cwd=ROOT)

    def start_consumer(self, *args: str, **env) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-m", "ingestion.cli", "consume", *args],
                                env={**self.env, **env}, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.processes.append(proc)
        return proc

    def connect(self, role: str = "auditor") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.env["PGPORT"], dbname=self.env["PGDATABASE"],
                               user=f"motcua_{role}", password=self.env[f"MOTCUA_{role.upper()}_PASSWORD"],
                               autocommit=True)

    def scalar(self, query: str, *params):
        with self.connect() as conn:
            return conn.execute(query, params).fetchone()[0]

    def stop(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
        for script in ("kafka.sh", "postgres.sh"):
            try:
                self.service(script, "down")
            except RuntimeError as exc:  # best effort: the folder is removed below anyway
                print(f"cleanup of the private stack: {exc}")
        shutil.rmtree(self.state_dir, ignore_errors=True)


def start_private_stack(pg_port: int | None = None, kafka_port: int | None = None,
                        extra_env: dict[str, str] | None = None) -> PrivateStack:
    # Ports overridable so two checkouts can run their fault tests side by side on one machine.
    pg_port = pg_port or int(os.environ.get("MOTCUA_PRIVATE_PGPORT", "25532"))
    kafka_port = kafka_port or int(os.environ.get("MOTCUA_PRIVATE_KAFKA_PORT", "19192"))
    # Under /var/tmp with 755 so the postgres OS user can reach its data folder.
    state = Path(tempfile.mkdtemp(prefix="motcua-private-", dir="/var/tmp"))
    state.chmod(0o755)
    shared_libs = Path(os.environ.get("MOTCUA_STATE_DIR", ROOT / ".local")) / "kafka" / "libs"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOTCUA_", "PG"))}
    env.update(
        MOTCUA_STATE_DIR=str(state), PGHOST="127.0.0.1", PGPORT=str(pg_port), PGDATABASE="motcua",
        KAFKA_PORT=str(kafka_port), KAFKA_CONTROLLER_PORT=str(kafka_port + 1),
        KAFKA_BOOTSTRAP_SERVERS=f"127.0.0.1:{kafka_port}", KAFKA_LIBS=str(shared_libs),
        PYTHONPATH=str(ROOT),
    )
    env.update(extra_env or {})   # e.g. MOTCUA_KAFKA_SASL=1
    stack = PrivateStack(state, env)
    try:
        stack.service("postgres.sh", "up")
        stack.service("kafka.sh", "up")
        for line in (state / "secrets.env").read_text().splitlines():
            name, _, value = line.partition("=")
            env[name] = value
        result = stack.cli("migrate")
        if result.returncode != 0:
            raise RuntimeError(result.stdout + result.stderr)
    except Exception:
        stack.stop()
        raise
    return stack


def wait_until(predicate, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
