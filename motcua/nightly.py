"""`motcua nightly`: run nights of kpi_nightly through the Airflow scheduler (task logs in the UI).

    motcua nightly rerun --night 2026-03-02                  # one night again, as a manual run
    motcua nightly backfill --from-night 2026-03-01 --to-night 2026-03-05

Nights are local dates (Asia/Ho_Chi_Minh): the night of D is the data interval
[D 02:00, D+1 02:00) local. Airflow's own `backfill create --from-date/--to-date` take logical
dates, i.e. the interval starts (D 02:00 local, D-1 19:00 UTC); this command does the mapping.
Whatever starts them, nights run one at a time, oldest first (the DAG's night baton).

Talks to the Airflow API server started by `bash scripts/airflow.sh` (AIRFLOW_PORT, AIRFLOW_HOME,
the generated admin password); waits for the runs unless --no-wait. Exit: 0 every run succeeded;
1 a run failed (see its task log in the UI); 2 usage, Airflow not reachable or the DAG paused.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from motcua.args import HelpFormatter, Parser
from motcua.errors import PermanentError

DAG_ID = "kpi_nightly"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parent.parent
FINISHED = {"success", "failed"}


class UsageError(PermanentError):
    """Bad arguments or an unusable Airflow: exit 2."""


def night_start(night: date) -> datetime:
    """The logical date of the night's scheduled run: the interval start, D 02:00 local."""
    return datetime(night.year, night.month, night.day, 2, tzinfo=TZ)


class Airflow:
    """The few REST calls the command needs (Airflow 3 public API, JWT from the simple auth manager)."""

    def __init__(self, base_url: str, password_file: Path, timeout: float = 30.0) -> None:
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        try:
            users = json.loads(password_file.read_text())
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot read Airflow's admin password ({password_file}): {exc}; "
                             f"start Airflow with `bash scripts/airflow.sh` (or set AIRFLOW_HOME)") from exc
        user, password = next(iter(users.items())) if "admin" not in users else ("admin", users["admin"])
        self.token = self._call("POST", "/auth/token", {"username": user, "password": password},
                                auth=False)["access_token"]

    def _call(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base_url + path, method=method, headers=headers,
                                         data=json.dumps(body).encode() if body is not None else None)
        for attempt in range(1, 7):
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = response.read()
                break
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode(errors="replace")[:300]
                # SQLite metadata (the local stack) answers 503 "database is locked" under concurrent writes
                if exc.code == 503 and "locked" in detail.lower() and attempt < 6:
                    time.sleep(2 * attempt)
                    continue
                raise UsageError(f"Airflow answered {exc.code} to {method} {path}: {detail}") from exc
            except (urllib.error.URLError, OSError) as exc:
                raise UsageError(f"Airflow is not reachable at {self.base_url} ({exc}); start it with "
                                 f"`bash scripts/airflow.sh` (AIRFLOW_PORT)") from exc
        return json.loads(payload) if payload else {}

    def dag(self) -> dict:
        return self._call("GET", f"/api/v2/dags/{DAG_ID}")

    def trigger(self, night: date) -> str:
        run_id = f"rerun__{night.isoformat()}__{datetime.now(timezone.utc).strftime('%Y%m%dT%H%M%S')}"
        self._call("POST", f"/api/v2/dags/{DAG_ID}/dagRuns",
                   {"dag_run_id": run_id, "logical_date": None, "conf": {"night": night.isoformat()},
                    "note": f"motcua nightly rerun --night {night.isoformat()}"})
        return run_id

    def backfill(self, first: date, last: date) -> dict:
        return self._call("POST", "/api/v2/backfills", {
            "dag_id": DAG_ID, "from_date": night_start(first).isoformat(), "to_date": night_start(last).isoformat(),
            # one night at a time; a night that already ran (or failed) runs again: a backfill is a rerun
            "max_active_runs": 1, "reprocess_behavior": "completed", "run_backwards": False})

    def runs(self) -> list[dict]:
        return self._call("GET", f"/api/v2/dags/{DAG_ID}/dagRuns?limit=1000&order_by=-id")["dag_runs"]


def _client() -> Airflow:
    port = os.environ.get("AIRFLOW_PORT") or "8781"
    home = Path(os.environ.get("AIRFLOW_HOME") or ROOT / ".local" / "airflow")
    client = Airflow(f"http://127.0.0.1:{port}", home / "simple_auth_manager_passwords.json.generated")
    if client.dag().get("is_paused"):
        raise UsageError(f"{DAG_ID} is paused, so the scheduler starts none of its runs: unpause it in the UI or "
                         f"with `bash scripts/airflow.sh dags unpause {DAG_ID}`")
    return client


def _wait(client: Airflow, select, expected: int, timeout: float, poll: float) -> list[dict]:
    """Wait until `expected` runs chosen by `select` have finished; print each as it finishes."""
    deadline, reported = time.monotonic() + timeout, set()
    while True:
        runs = [r for r in client.runs() if select(r)]
        for r in sorted(runs, key=lambda r: r.get("end_date") or ""):
            if r["state"] in FINISHED and r["dag_run_id"] not in reported:
                reported.add(r["dag_run_id"])
                print(f"{r['dag_run_id']}: {r['state']}", flush=True)
        if len(runs) >= expected and all(r["state"] in FINISHED for r in runs):
            return runs
        if time.monotonic() > deadline:
            raise TimeoutError(f"runs still going after {timeout:.0f} s: "
                               + ", ".join(f"{r['dag_run_id']} ({r['state']})" for r in runs if r["state"] not in FINISHED))
        time.sleep(poll)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _night(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="motcua nightly", description=__doc__.split("\n\n")[0], formatter_class=HelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    rerun = sub.add_parser("rerun", help="run one night again through the scheduler (a manual run)")
    rerun.add_argument("--night", type=_night, required=True, help="the local night, YYYY-MM-DD")
    backfill = sub.add_parser("backfill", help="run a range of nights, oldest first, one at a time")
    backfill.add_argument("--from-night", type=_night, required=True, help="first local night, YYYY-MM-DD")
    backfill.add_argument("--to-night", type=_night, required=True, help="last local night (inclusive)")
    for p in (rerun, backfill):
        p.add_argument("--no-wait", action="store_true", help="return once the runs are queued")
        p.add_argument("--timeout", type=float, default=6 * 3600, help="seconds to wait for the runs (default 6 h)")
        p.add_argument("--poll", type=float, default=10.0, help="seconds between checks (default 10)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    today = datetime.now(TZ).date()
    try:
        if args.command == "rerun":
            if args.night > today:
                raise UsageError(f"--night {args.night} is in the future (today is {today} in Asia/Ho_Chi_Minh)")
            client = _client()
            run_id = client.trigger(args.night)
            print(f"queued {run_id} (night {args.night}); task logs: http://127.0.0.1:"
                  f"{os.environ.get('AIRFLOW_PORT') or '8781'}/dags/{DAG_ID}/runs/{run_id}", flush=True)
            if args.no_wait:
                return 0
            runs = _wait(client, lambda r: r["dag_run_id"] == run_id, 1, args.timeout, args.poll)
        else:
            if args.from_night > args.to_night:
                raise UsageError(f"--from-night {args.from_night} is after --to-night {args.to_night}")
            if args.to_night >= today:
                raise UsageError(f"--to-night {args.to_night} has not ended yet (today is {today}): "
                                 f"the last complete night is {today - timedelta(days=1)}")
            client = _client()
            made = client.backfill(args.from_night, args.to_night)
            nights = (args.to_night - args.from_night).days + 1
            print(f"backfill {made['id']}: {nights} night(s) {args.from_night} … {args.to_night}, oldest first",
                  flush=True)
            if args.no_wait:
                return 0
            starts = {night_start(args.from_night + timedelta(days=i)).astimezone(timezone.utc) for i in range(nights)}
            created = _instant(made["created_at"]) - timedelta(seconds=5)

            def mine(r: dict) -> bool:     # this backfill's runs (a rerun night keeps its run id)
                return (r["run_type"] == "backfill" and r.get("logical_date") is not None
                        and _instant(r["logical_date"]) in starts and _instant(r["queued_at"] or r["run_after"]) >= created)

            runs = _wait(client, mine, nights, args.timeout, args.poll)
    except UsageError as exc:
        print(f"motcua nightly: {exc}", file=sys.stderr)
        return 2
    except TimeoutError as exc:
        print(f"motcua nightly: {exc}", file=sys.stderr)
        return 1
    failed = [r["dag_run_id"] for r in runs if r["state"] != "success"]
    if failed:
        print(f"motcua nightly: {len(failed)} run(s) failed: {', '.join(failed)} (task logs in the UI)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
