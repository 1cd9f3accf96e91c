"""`motcua bi up|down|status|bundle`: Apache Superset with the project's dashboards (bi/).

Superset runs from its own virtualenv (<state>/superset-venv, MOTCUA_SUPERSET_VENV), installed
from bi/requirements.txt with bi/constraints.txt; it never shares the project's (Airflow's)
packages. Its metadata is SQLite under <state>/superset (MOTCUA_SUPERSET_HOME). `up`:

1. installs Superset when the virtualenv is missing or its pins changed;
2. generates the secret key and the admin password into the local secrets file (mode 600) the
   first time, and prints that password once;
3. `superset db upgrade` and `superset init` when the metadata is new or Superset changed;
4. builds the import bundle (a zip) from the YAML under bi/assets, with the warehouse address
   from PGHOST/PGPORT/PGDATABASE, and imports it as the admin: the connection `motcua_bi` logs in
   as the read-only BI role (its password goes to the importer, not into the zip), then the
   datasets on marts.*, the charts and the dashboards, all overwritten by UUID;
5. starts Superset (gunicorn) in the background on 127.0.0.1:SUPERSET_PORT (default 8088) and
   prints the URL of each dashboard.

Every step is idempotent: `up` again re-imports the YAML and leaves a running server running.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

import yaml

from motcua.args import HelpFormatter, Parser
from motcua.errors import EXIT_OK, PermanentError, TransientError, run_command
from motcua.settings import PROJECT_ROOT, local_secret, role_password_var, secrets_file, state_dir

BI_DIR = PROJECT_ROOT / "bi"
ASSETS = BI_DIR / "assets"
DEFAULT_PORT = 8088
DATABASE_FILE = "databases/motcua_bi.yaml"
SECRET_KEY_VAR = "MOTCUA_SUPERSET_SECRET_KEY"
ADMIN_PASSWORD_VAR = "MOTCUA_SUPERSET_ADMIN_PASSWORD"
ADMIN_USER = "admin"
# Superset shows a masked password as this; its importer then takes the real one from `passwords`.
MASKED = "XXXXXXXXXX"
INSTALL_TIMEOUT = 1800
START_TIMEOUT = 180


def home() -> Path:
    return Path(os.environ.get("MOTCUA_SUPERSET_HOME") or state_dir() / "superset")


def venv() -> Path:
    return Path(os.environ.get("MOTCUA_SUPERSET_VENV") or state_dir() / "superset-venv")


def port() -> int:
    raw = os.environ.get("SUPERSET_PORT", "").strip() or str(DEFAULT_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise PermanentError(f"SUPERSET_PORT={raw!r} is not a port number", hint="set SUPERSET_PORT=8088 or another free port")
    return int(raw)


def url(for_port: int | None = None) -> str:
    return f"http://127.0.0.1:{for_port or port()}"


# --------------------------------------------------------------------------------------------
# install


def _requirements_digest() -> str:
    h = hashlib.sha256()
    for name in ("requirements.txt", "constraints.txt"):
        h.update((BI_DIR / name).read_bytes())
    h.update(f"{sys.version_info.major}.{sys.version_info.minor}".encode())
    return h.hexdigest()


def ensure_installed() -> bool:
    """Install Superset into its virtualenv unless the same pins are installed; True if it did."""
    target = venv()
    stamp = target / ".motcua-requirements"
    digest = _requirements_digest()
    if stamp.exists() and stamp.read_text().strip() == digest and (target / "bin" / "superset").exists():
        return False
    print(f"[bi] installing Apache Superset into {target} (a few minutes the first time)", flush=True)
    if not (target / "bin" / "python").exists():
        _run([sys.executable, "-m", "venv", str(target)], "create the Superset virtualenv", timeout=300)
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(pip + ["-r", str(BI_DIR / "requirements.txt"), "-c", str(BI_DIR / "constraints.txt")],
         "pip install Superset", timeout=INSTALL_TIMEOUT)
    stamp.write_text(digest + "\n")
    return True


def _run(cmd: list[str], what: str, *, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise TransientError(f"{what}: still running after {timeout:.0f} s; stopped") from exc
    if done.returncode != 0:
        tail = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()][-1:] or ["no output"]
        raise PermanentError(f"{what} failed ({done.returncode}): {tail[0]}",
                             hint=f"the whole output: rerun `{' '.join(cmd[:3])} …` by hand")
    return done.stdout


# --------------------------------------------------------------------------------------------
# secrets


def _secret(name: str, make: Any) -> tuple[str, bool]:
    """The secret from the environment or the secrets file; generated and appended when missing."""
    value = local_secret(name)
    if value:
        return value, False
    path = secrets_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    old = os.umask(0o077)
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{name}={value}\n")
    finally:
        os.umask(old)
    path.chmod(0o600)
    return value, True


@dataclass(frozen=True)
class Secrets:
    secret_key: str
    admin_password: str
    admin_password_generated: bool
    bi_password: str


def ensure_secrets() -> Secrets:
    bi_password = local_secret(role_password_var("bi"))
    if not bi_password:
        raise PermanentError(f"no password for the motcua_bi role ({role_password_var('bi')} in {secrets_file()})",
                             hint="start PostgreSQL with 'make up' (it generates the role passwords)")
    key, _ = _secret(SECRET_KEY_VAR, lambda: secrets.token_urlsafe(42))
    password, generated = _secret(ADMIN_PASSWORD_VAR, lambda: secrets.token_urlsafe(15))
    return Secrets(key, password, generated, bi_password)


def superset_env(secret_key: str) -> dict[str, str]:
    """What Superset's processes get: its settings, its key; no database password of the project."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("MOTCUA_") and ("PASSWORD" in k or "KEY" in k)) and k != "PGPASSWORD"}
    env.update(SUPERSET_CONFIG_PATH=str(BI_DIR / "superset_config.py"), SUPERSET_HOME=str(home()),
               SUPERSET_SECRET_KEY=secret_key, SUPERSET_METADATA_URI=f"sqlite:///{home() / 'superset.db'}",
               FLASK_APP="superset", PYTHONUNBUFFERED="1")
    env.pop("FLASK_DEBUG", None)
    return env


# --------------------------------------------------------------------------------------------
# metadata


def ensure_metadata(env: dict[str, str]) -> bool:
    """`superset db upgrade` + `superset init` when the metadata is new or Superset changed.

    The result of both on an empty database (tables, roles, permissions: no user, no connection,
    nothing encrypted with a secret key) is kept beside the virtualenv as a template, so a new
    metadata folder (a second checkout's, a test's) starts from a copy instead of two minutes of
    migrations on these two cores."""
    stamp = home() / ".motcua-metadata"
    metadata = home() / "superset.db"
    digest = _requirements_digest()
    if stamp.exists() and stamp.read_text().strip() == digest and metadata.exists():
        return False
    template = venv() / "motcua-metadata-template.db"
    template_stamp = venv() / "motcua-metadata-template.stamp"
    superset = str(venv() / "bin" / "superset")
    if not metadata.exists() and template.exists() and template_stamp.exists() \
            and template_stamp.read_text().strip() == digest:
        shutil.copyfile(template, metadata)
        metadata.chmod(0o600)
    else:
        fresh = not metadata.exists()
        _run([superset, "db", "upgrade"], "superset db upgrade", env=env)
        _run([superset, "init"], "superset init", env=env)
        if fresh:
            shutil.copyfile(metadata, template)
            template_stamp.write_text(digest + "\n")
    stamp.write_text(digest + "\n")
    return True


# --------------------------------------------------------------------------------------------
# the bundle


def _assets() -> dict[str, dict[str, Any]]:
    """bi/assets as {relative path: parsed YAML}."""
    found = {path.relative_to(ASSETS).as_posix(): yaml.safe_load(path.read_text(encoding="utf-8"))
             for path in sorted(ASSETS.rglob("*.yaml"))}
    if DATABASE_FILE not in found or "metadata.yaml" not in found:
        raise PermanentError(f"{ASSETS} lacks {DATABASE_FILE} or metadata.yaml", hint="restore bi/assets from git")
    return found


def warehouse_uri(password: str = MASKED) -> str:
    host = os.environ.get("PGHOST", "127.0.0.1")
    if host.startswith("/"):
        raise PermanentError(f"PGHOST={host} is a socket folder; Superset connects over TCP",
                             hint="set PGHOST=127.0.0.1 (or the warehouse's host)")
    pg_port = os.environ.get("PGPORT", "25432")
    dbname = os.environ.get("PGDATABASE", "motcua")
    return f"postgresql+psycopg2://motcua_bi:{password}@{host}:{pg_port}/{dbname}"


def _filters(params: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """A chart's adhoc filters as a query's filters, extras (SQL where) and time range."""
    filters: list[dict[str, Any]] = []
    where: list[str] = []
    time_range = "No filter"
    for f in params.get("adhoc_filters") or []:
        if f.get("expressionType") == "SQL":
            where.append(f"({f['sqlExpression']})")
        elif f.get("operator") == "TEMPORAL_RANGE":
            filters.append({"col": f["subject"], "op": "TEMPORAL_RANGE", "val": f.get("comparator") or "No filter"})
            time_range = f.get("comparator") or "No filter"
        else:
            filters.append({"col": f["subject"], "op": f["operator"], "val": f.get("comparator")})
    extras: dict[str, Any] = {"having": "", "where": " AND ".join(where)}
    if params.get("time_grain_sqla"):
        extras["time_grain_sqla"] = params["time_grain_sqla"]
    return filters, extras, time_range


def query_context(viz_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """The saved query of a chart (what GET /api/v1/chart/<id>/data/, reports and cache warm-up
    run): the same columns, metrics, filters and order the chart's form asks for, without the
    front end's reshaping (pivot, rolling) of the rows."""
    filters, extras, time_range = _filters(params)
    metrics = list(params.get("metrics") or ([params["metric"]] if params.get("metric") else []))
    query: dict[str, Any] = {"filters": filters, "extras": extras, "time_range": time_range,
                             "row_limit": params.get("row_limit", 10000), "series_limit": 0,
                             "order_desc": params.get("order_desc", True), "annotation_layers": [],
                             "applied_time_extras": {}, "url_params": {}, "custom_params": {},
                             "custom_form_data": {}, "post_processing": []}
    if viz_type == "table" and params.get("query_mode") == "raw":
        query.update(columns=list(params["all_columns"]), metrics=[],
                     orderby=[json.loads(item) for item in params.get("order_by_cols") or []])
    elif viz_type.startswith("echarts_timeseries"):
        axis: dict[str, Any] = {"columnType": "BASE_AXIS", "sqlExpression": params["x_axis"],
                                "label": params["x_axis"], "expressionType": "SQL"}
        if params.get("time_grain_sqla"):
            axis["timeGrain"] = params["time_grain_sqla"]
        query.update(columns=[axis, *params.get("groupby", [])], metrics=metrics,
                     orderby=[[metrics[0], False]] if metrics else [],
                     series_columns=list(params.get("groupby", [])))
    else:  # aggregated table, pie, big number: group by, then the metrics
        query.update(columns=list(params.get("groupby", [])), metrics=metrics,
                     orderby=[[metrics[0], False]] if metrics else [])
    return {"datasource": {"id": 0, "type": "table"}, "force": False, "queries": [query],
            "form_data": params, "result_format": "json", "result_type": "full"}


def build_bundle(dest: Path, *, kind: str = "assets") -> Path:
    """The import zip from bi/assets: the warehouse address filled in (password masked) and each
    chart's saved query derived from its form when the YAML carries none. kind "assets" is for
    the assets importer (everything overwritten), "Dashboard" for Superset's Import dashboards
    page (which refuses any other type)."""
    files = _assets()
    files["metadata.yaml"]["type"] = kind
    files[DATABASE_FILE]["sqlalchemy_uri"] = warehouse_uri()
    for name, doc in files.items():
        if name.startswith("charts/") and not doc.get("query_context"):
            doc["query_context"] = json.dumps(query_context(doc["viz_type"], doc["params"]), ensure_ascii=False)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with ZipFile(dest, "w", ZIP_DEFLATED) as zf:
        for name, doc in files.items():
            zf.writestr(f"motcua_bi/{name}", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
    return dest


def dashboard_slugs() -> list[str]:
    return [doc["slug"] for name, doc in _assets().items() if name.startswith("dashboards/")]


def provision(env: dict[str, str], sec: Secrets) -> dict[str, int]:
    """Admin user and the import; returns {dashboard slug: id} of the bundle's dashboards."""
    with tempfile.TemporaryDirectory(prefix="motcua-bi-") as tmp:
        bundle = build_bundle(Path(tmp) / "bundle.zip")
        child = dict(env, SUPERSET_ADMIN_PASSWORD=sec.admin_password, SUPERSET_BI_PASSWORD=sec.bi_password)
        out = _run([str(venv() / "bin" / "python"), str(BI_DIR / "provision.py"), str(bundle)],
                   "importing the dashboards (bi/provision.py)", env=child)
    ids = {}
    for line in out.splitlines():
        slug, _, ident = line.strip().partition(" ")
        if ident.isdigit():
            ids[slug] = int(ident)
    return {slug: ids[slug] for slug in dashboard_slugs() if slug in ids}


# --------------------------------------------------------------------------------------------
# the server


def _pidfile() -> Path:
    return home() / "superset.pid"


def _portfile() -> Path:
    return home() / "superset.port"


def running_port() -> int | None:
    """The port the running server was started on (recorded beside its pid file)."""
    try:
        return int(_portfile().read_text().strip()) if _pid() is not None else None
    except (FileNotFoundError, ValueError):
        return None


def _pid() -> int | None:
    try:
        pid = int(_pidfile().read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def healthy(for_port: int) -> bool:
    try:
        with urllib.request.urlopen(f"{url(for_port)}/health", timeout=3) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _port_taken(for_port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(("127.0.0.1", for_port)) == 0


def check_port(for_port: int) -> None:
    """Fail early when this state folder's server runs on another port, or another process holds it."""
    if _pid() is not None:
        current = running_port()
        if current is not None and current != for_port:
            raise PermanentError(f"Superset of this state folder already runs on {url(current)}",
                                 hint=f"use that port (SUPERSET_PORT={current}) or stop it first: make bi-down")
    elif _port_taken(for_port):
        raise PermanentError(f"port {for_port} on 127.0.0.1 is taken by another process",
                             hint="choose another: SUPERSET_PORT=8089 make bi")


def start(env: dict[str, str], for_port: int) -> bool:
    """gunicorn in the background on 127.0.0.1 only; False when ours already runs there."""
    check_port(for_port)
    if _pid() is not None:
        if healthy(for_port):
            return False
        raise PermanentError(f"Superset (pid {_pid()}) runs but does not answer on {url(for_port)}",
                             hint=f"stop it with 'make bi-down' and start again; see {home() / 'logs' / 'superset.log'}")
    logs = home() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    # 2 cores shared with PostgreSQL, Kafka and Airflow: one worker process, threads for the
    # dashboard's parallel chart queries
    cmd = [str(venv() / "bin" / "gunicorn"), "--bind", f"127.0.0.1:{for_port}", "--workers", "1",
           "--worker-class", "gthread", "--threads", "8", "--timeout", "120", "--limit-request-line", "0",
           "--pid", str(_pidfile()), "superset.app:create_app()"]
    with (logs / "superset.log").open("ab") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, cwd=home())
    _portfile().write_text(f"{for_port}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise PermanentError(f"Superset exited ({proc.returncode}) while starting",
                                 hint=f"see {logs / 'superset.log'}")
        if healthy(for_port):
            return True
        time.sleep(1)
    stop()
    raise TransientError(f"Superset did not answer on {url(for_port)} within {START_TIMEOUT} s",
                         hint=f"see {logs / 'superset.log'}")


def stop(timeout: float = 30) -> bool:
    pid = _pid()
    if pid is None:
        _pidfile().unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)     # gunicorn's master stops its worker and removes the pid file
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _pid() is not None:
        time.sleep(0.3)
    if _pid() is not None:
        os.kill(pid, signal.SIGKILL)
    _pidfile().unlink(missing_ok=True)
    _portfile().unlink(missing_ok=True)
    return True


# --------------------------------------------------------------------------------------------
# commands


def up(for_port: int) -> dict[str, int]:
    check_port(for_port)
    sec = ensure_secrets()
    home().mkdir(parents=True, exist_ok=True)
    home().chmod(0o700)      # the metadata holds the encrypted warehouse password and the users
    ensure_installed()
    env = superset_env(sec.secret_key)
    ensure_metadata(env)
    ids = provision(env, sec)
    started = start(env, for_port)
    base = url(for_port)
    print(f"Superset {'started' if started else 'already running'} on {base}/  (stop: make bi-down)")
    for slug, ident in ids.items():
        print(f"  {base}/superset/dashboard/{slug}/   (id {ident})")
    if sec.admin_password_generated:
        print(f"  login: {ADMIN_USER} / {sec.admin_password}   (shown once; kept as {ADMIN_PASSWORD_VAR} in {secrets_file()})")
    else:
        print(f"  login: {ADMIN_USER}; password: {ADMIN_PASSWORD_VAR} in {secrets_file()}")
    sys.stdout.flush()
    return ids


def build_parser() -> Parser:
    parser = Parser(prog="motcua bi", description=__doc__.splitlines()[0],
                    epilog="exit status: 0 done; 2 install, import or start failed, the port is taken, "
                           "or PostgreSQL's role passwords are missing")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{up,down,status,bundle}")
    u = sub.add_parser("up", help="install, provision, import bi/assets and start Superset (idempotent)",
                       formatter_class=HelpFormatter)
    u.add_argument("--port", type=int, default=None, help=f"port on 127.0.0.1 (SUPERSET_PORT, default {DEFAULT_PORT})")
    sub.add_parser("down", help="stop the Superset server `up` started", formatter_class=HelpFormatter)
    sub.add_parser("status", help="whether it runs, and where", formatter_class=HelpFormatter)
    b = sub.add_parser("bundle", help="write the zip for another Superset's Import dashboards page (password masked)",
                       formatter_class=HelpFormatter)
    b.add_argument("--out", type=Path, default=None, help="zip to write (default <state>/motcua_bi_dashboards.zip)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def job() -> int:
        if args.command == "up":
            up(args.port or port())
        elif args.command == "down":
            print("Superset stopped" if stop() else "Superset is not running")
        elif args.command == "status":
            pid = _pid()
            if pid is None:
                print("superset: stopped")
                return 1
            where = running_port() or port()
            print(f"superset: running (pid {pid}) on {url(where)}" + ("" if healthy(where) else " — not answering"))
        elif args.command == "bundle":
            print(build_bundle(args.out or state_dir() / "motcua_bi_dashboards.zip", kind="Dashboard"))
        return EXIT_OK

    return run_command("motcua bi", job)


if __name__ == "__main__":
    sys.exit(main())
