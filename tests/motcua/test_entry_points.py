"""One console script: `motcua migrate` and `motcua reconcile` are `motcua ingest migrate|reconcile`
at the top level, and the old entry points still run the same commands (thin aliases)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

MOTCUA = Path(sys.executable).with_name("motcua")     # the console script of the editable install


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_motcua_migrate_finds_the_migrations_from_any_folder(env_for, tmp_path):
    # tmp_path: not the checkout, so the migrations/ folder is found from the installed package
    result = run([str(MOTCUA), "migrate"], env_for(), tmp_path)
    assert (result.returncode, result.stdout) == (0, "migrations: up to date\n"), result.stderr
    old = run([sys.executable, "-m", "ingestion.cli", "migrate"], env_for(), ROOT)
    assert (old.returncode, old.stdout) == (0, "migrations: up to date\n"), old.stderr


def test_motcua_reconcile_takes_the_ingest_options_after_its_name(env_for, make_topic, tmp_path):
    topic = make_topic(partitions=2)
    top = run([str(MOTCUA), "reconcile", "--topic", topic], env_for(), tmp_path)
    nested = run([str(MOTCUA), "ingest", "--topic", topic, "reconcile"], env_for(), tmp_path)
    assert top.returncode == 0, top.stderr
    assert (top.returncode, top.stdout) == (nested.returncode, nested.stdout)
    # the topic's two partitions (the option reached reconcile), nothing produced, nothing loaded
    header, *partitions, total = top.stdout.splitlines()
    assert [row.split() for row in partitions] == [["0", "0", "0", "0", "0", "0", "ok"], ["1", "0", "0", "0", "0", "0", "ok"]]
    assert total.split()[:6] == ["total", "0", "0", "0", "0", "0"] and "ok: produced = loaded" in total


def test_the_old_python_m_entry_points_are_aliases_of_the_subcommands(tmp_path):
    for module, subcommand in (("publish", "publish"), ("expectations", "gate"), ("workcal", "calendar"),
                               ("ingestion.cli", "ingest")):
        old = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        new = subprocess.run([str(MOTCUA), subcommand, "--help"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120)
        assert old.returncode == new.returncode == 0, (module, old.stderr, new.stderr)
        assert old.stdout == new.stdout, module
