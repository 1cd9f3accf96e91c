"""Where the nightly run's OpenLineage events go: one setting for Airflow's provider and for dbt.

The project's variables (the only ones to set):
  MOTCUA_LINEAGE            on (default) | off: off emits nothing, from Airflow or dbt
  MOTCUA_LINEAGE_URL        an OpenLineage HTTP endpoint's base URL (e.g. Marquez, http://HOST:5000);
                            unset: events are appended to a file (JSON Lines), no server needed
  MOTCUA_LINEAGE_ENDPOINT   the HTTP path (default api/v1/lineage, Marquez's)
  MOTCUA_LINEAGE_API_KEY    a bearer token for the endpoint, if it needs one (from the secret store)
  MOTCUA_LINEAGE_FILE       the file (default $MOTCUA_STATE_DIR/openlineage/events.jsonl)
  MOTCUA_LINEAGE_NAMESPACE  the jobs' namespace (default motcua)

They are mapped to the two readers' own settings: Airflow's [openlineage] section
(AIRFLOW__OPENLINEAGE__*, read by the scheduler and the task processes: scripts/airflow.sh
exports them) and the OpenLineage client's OPENLINEAGE_* variables (read by dbt-ol, which the
dbt_build task runs). Setting both from here keeps the DAG, its tasks and dbt's models in one place.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from motcua.errors import PermanentError
from motcua.settings import state_dir

DEFAULT_NAMESPACE = "motcua"
DEFAULT_ENDPOINT = "api/v1/lineage"
_OFF = ("0", "off", "false", "no")
_ON = ("", "1", "on", "true", "yes")


class LineageConfigError(PermanentError):
    """A MOTCUA_LINEAGE* value that cannot be used (exit 2)."""


@dataclass(frozen=True)
class LineageSettings:
    enabled: bool
    namespace: str
    transport: dict | None      # the OpenLineage transport (None when disabled)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "LineageSettings":
        env = os.environ if env is None else env
        switch = env.get("MOTCUA_LINEAGE", "").strip().lower()
        if switch not in _OFF + _ON:
            raise LineageConfigError(f"MOTCUA_LINEAGE={switch!r}: use on or off")
        namespace = env.get("MOTCUA_LINEAGE_NAMESPACE", "").strip() or DEFAULT_NAMESPACE
        if switch in _OFF:
            return cls(False, namespace, None)
        url = env.get("MOTCUA_LINEAGE_URL", "").strip()
        if url:
            if not url.startswith(("http://", "https://")):
                raise LineageConfigError(f"MOTCUA_LINEAGE_URL={url!r} is not an http(s) URL (e.g. http://127.0.0.1:5000)")
            transport: dict = {"type": "http", "url": url.rstrip("/"),
                               "endpoint": env.get("MOTCUA_LINEAGE_ENDPOINT", "").strip() or DEFAULT_ENDPOINT}
            if api_key := env.get("MOTCUA_LINEAGE_API_KEY", "").strip():
                transport["auth"] = {"type": "api_key", "apiKey": api_key}
            return cls(True, namespace, transport)
        state = Path(env["MOTCUA_STATE_DIR"]) if env.get("MOTCUA_STATE_DIR") else state_dir()
        path = Path(env.get("MOTCUA_LINEAGE_FILE", "").strip() or state / "openlineage" / "events.jsonl")
        # append: one growing JSON Lines file (the client otherwise writes one file per event)
        return cls(True, namespace, {"type": "file", "log_file_path": str(path.absolute()), "append": True})

    @property
    def events_file(self) -> Path | None:
        return Path(self.transport["log_file_path"]) if self.transport and self.transport["type"] == "file" else None

    def describe(self) -> str:
        if not self.enabled:
            return "OpenLineage: off (MOTCUA_LINEAGE=off)"
        where = (f"file {self.events_file}" if self.events_file
                 else f"HTTP {self.transport['url']}/{self.transport['endpoint']}")
        return f"OpenLineage: on, namespace {self.namespace}, events to {where}"

    def prepare(self) -> None:
        """The file transport does not create its folder: a missing one would lose every event."""
        if self.events_file:
            self.events_file.parent.mkdir(parents=True, exist_ok=True)

    def airflow_env(self) -> dict[str, str]:
        """Airflow's [openlineage] settings. Off is explicit: the provider must not fall back to
        an OPENLINEAGE_URL or openlineage.yml found elsewhere on the machine."""
        if not self.enabled:
            return {"AIRFLOW__OPENLINEAGE__DISABLED": "True"}
        return {"AIRFLOW__OPENLINEAGE__DISABLED": "False", "AIRFLOW__OPENLINEAGE__NAMESPACE": self.namespace,
                "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(self.transport, separators=(",", ":"))}

    def client_env(self) -> dict[str, str]:
        """The OpenLineage client's variables (dbt-ol). OPENLINEAGE__TRANSPORT takes a JSON value."""
        if not self.enabled:
            return {"OPENLINEAGE_DISABLED": "true"}
        return {"OPENLINEAGE_DISABLED": "false", "OPENLINEAGE_NAMESPACE": self.namespace,
                "OPENLINEAGE__TRANSPORT": json.dumps(self.transport, separators=(",", ":"))}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="motcua lineage", description="Where the nightly run's OpenLineage events go (MOTCUA_LINEAGE*).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show", help="print where events go")
    sub.add_parser("env", help="print the Airflow and OpenLineage client variables as shell exports "
                               "(scripts/airflow.sh evaluates them); creates the events file's folder")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = LineageSettings.from_env()
    except LineageConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.command == "show":
        print(settings.describe())
        return 0
    try:
        settings.prepare()
    except OSError as exc:
        print(f"error: cannot create the folder of {settings.events_file} ({exc.strerror}): "
              "set MOTCUA_LINEAGE_FILE, or MOTCUA_LINEAGE=off", file=sys.stderr)
        return 2
    for key, value in {**settings.airflow_env(), **settings.client_env()}.items():
        print(f"export {key}={shlex.quote(value)}")
    return 0
