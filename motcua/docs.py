"""`motcua docs build|serve`: the dbt documentation of what BI and auditors read.

The docs describe the published relations (`marts.*`, `lineage.kpi_case_membership`), not the
build schema dbt writes into: dbt parses the project with the var `docs_published_schemas`, which
makes `generate_schema_name` name each built model's published schema, and reads the catalog
(column types, row counts) from the published tables. They are written as one static page,
`<state>/dbt_docs/index.html` (MOTCUA_DBT_DOCS_DIR), which opens from disk; `serve` serves that
folder on 127.0.0.1. The nightly run's `refresh_docs` task calls `build`.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from motcua.settings import DBT_SECRETS, PROJECT_ROOT, load_local_secrets, state_dir
from motcua.args import HelpFormatter, Parser
from motcua.errors import EXIT_OK, SERVICES_HINT, MotcuaError, PermanentError, Stopped, TransientError, run_command

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
DEFAULT_PORT = 8580
# dbt messages that mean "the database was not there" (a retry may help), not "the project is wrong"
_OUTAGE = re.compile(r"could not connect|connection refused|could not translate host name|timeout expired|"
                     r"the database system is (?:starting up|shutting down)|no route to host", re.IGNORECASE)
_TIME = re.compile(r"^\d\d:\d\d:\d\d\s+")     # dbt's log-line timestamp


class DocsError(MotcuaError, RuntimeError):
    """dbt docs generate failed: DocsOutage when the database could not be reached, else DocsFailed."""

    @property
    def outage(self) -> bool:
        return isinstance(self, TransientError)


class DocsOutage(TransientError, DocsError):
    """The database did not answer dbt (or dbt ran out of time): the same build may succeed later."""


class DocsFailed(PermanentError, DocsError):
    """dbt refused the project or the catalog: a rerun gives the same answer."""


def docs_dir() -> Path:
    return Path(os.environ.get("MOTCUA_DBT_DOCS_DIR") or state_dir() / "dbt_docs")


def build(out: Path | None = None, timeout: float = 1800) -> Path:
    """Generate the docs of the published relations; returns the static index.html."""
    out = out or docs_dir()
    target = out / "target"    # its own target: the nightly build's manifest (publish reads it) stays as built
    target.mkdir(parents=True, exist_ok=True)
    load_local_secrets(*DBT_SECRETS)   # dbt's role password and the HMAC key, nothing else
    env = dict(os.environ, DO_NOT_TRACK="1", DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    common = ["--vars", json.dumps({"docs_published_schemas": True}),
              "--profiles-dir", str(DBT_PROJECT), "--project-dir", str(DBT_PROJECT),
              "--target-path", str(target), "--log-path", str(target / "logs")]
    # parse (no database) writes the manifest; generate then only reads the catalog: nothing is
    # compiled, so no model's SQL runs against the published tables
    for step in (["parse"], ["docs", "generate", "--static", "--no-compile"]):
        _dbt(step + common, env, timeout)
    index = out / "index.html"
    shutil.copyfile(target / "static_index.html", index)
    return index


def _dbt(args: list[str], env: dict[str, str], timeout: float) -> None:
    cmd = [str(Path(sys.executable).with_name("dbt")), *args, "--no-use-colors"]
    try:
        done = subprocess.run(cmd, cwd=DBT_PROJECT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise DocsOutage(f"dbt {args[0]} still running after {timeout:.0f} s; stopped") from exc
    if done.returncode != 0:
        lines = [_TIME.sub("", line).strip() for line in (done.stdout + done.stderr).splitlines()]
        outage = [line for line in lines if _OUTAGE.search(line)]
        errors = outage or [line for line in lines if "error" in line.lower()] or [ln for ln in lines if ln] or ["no output"]
        # dbt is a child process: its output's wording is all that crosses over, so the outage is
        # recognised here, where it happens, and handed on as a type
        raise (DocsOutage if outage else DocsFailed)(f"dbt {' '.join(args[:2])} exited {done.returncode}: {errors[-1]}")


class _Stop(Stopped):
    """SIGTERM: leave serve_forever like Ctrl-C does."""


def _stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
    raise _Stop("stopped by SIGTERM")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's name
        pass     # one line per request is noise in a terminal left open


def serve(directory: Path, port: int) -> int:
    handler = functools.partial(_QuietHandler, directory=str(directory))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        print(f"motcua docs: cannot listen on 127.0.0.1:{port} ({exc.strerror}); pick another with --port "
              "or MOTCUA_DOCS_PORT.", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop)
    print(f"dbt docs on http://127.0.0.1:{server.server_address[1]}/ (serving {directory}); Ctrl-C stops.",
          flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        server.server_close()
    return 0


def build_parser() -> Parser:
    parser = Parser(prog="motcua docs", description=__doc__.splitlines()[0],
                    epilog="exit status: 0 done (serve: stopped by Ctrl-C or SIGTERM); 2 database unreachable, "
                           "dbt failed or port taken")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{build,serve}")
    b = sub.add_parser("build", help="write the static docs page", formatter_class=HelpFormatter)
    b.add_argument("--out", type=Path, help="folder to write into (default: MOTCUA_DBT_DOCS_DIR or <state>/dbt_docs)")
    s = sub.add_parser("serve", help="serve the docs on 127.0.0.1 (builds them first when missing)",
                       formatter_class=HelpFormatter)
    s.add_argument("--port", type=int, default=int(os.environ.get("MOTCUA_DOCS_PORT", DEFAULT_PORT)),
                   help="port on 127.0.0.1, MOTCUA_DOCS_PORT; 0: any free port")
    s.add_argument("--rebuild", action="store_true", help="rebuild the docs before serving")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    out = getattr(args, "out", None) or docs_dir()

    def build_if_needed() -> int:
        if args.command == "build" or args.rebuild or not (out / "index.html").exists():
            try:
                index = build(out)
            except DocsError as exc:
                if exc.outage:
                    raise TransientError(str(exc), hint=SERVICES_HINT) from exc
                raise PermanentError(str(exc), hint="run the dbt project once ('make demo' or the nightly)") from exc
            print(f"dbt docs: {index}", flush=True)
        return EXIT_OK

    code = run_command("motcua docs", build_if_needed)
    if code != EXIT_OK or args.command == "build":
        return code
    return serve(out, args.port)
