"""The README's role × object table is the database's own answer (`motcua security roles`)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BEGIN = "<!-- security-roles:begin (generated: motcua security roles) -->\n"
END = "<!-- security-roles:end -->"


def test_the_readme_privilege_table_is_what_a_freshly_migrated_sealed_database_says(pg_db):
    env = {**os.environ, "PGDATABASE": pg_db}
    sealed = subprocess.run(["bash", str(ROOT / "services" / "seal-history.sh")], env=env, capture_output=True,
                            text=True, timeout=60)
    assert sealed.returncode == 0, sealed.stderr
    out = subprocess.run([sys.executable, "-m", "motcua", "security", "roles"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr

    readme = (ROOT / "README.md").read_text()
    assert readme.count(BEGIN) == 1 and readme.count(END) == 1
    assert readme.split(BEGIN)[1].split(END)[0] == out.stdout, (
        "README.md's security table is out of date: paste the output of `motcua security roles` "
        "(freshly migrated and sealed database) between its markers")
    # what the table must say, written by hand: the claims of the README's security section
    table = [[c.strip() for c in line.strip("|").split("|")] for line in out.stdout.splitlines()
             if line.startswith("| ")]
    header = table[0][1:]
    cell = {row[0]: dict(zip(header, row[1:])) for row in table[1:]}
    assert cell["`quality.gate_runs`"]["motcua_transform"] == "S"          # no verdict by the builder
    assert cell["`quality.gate_runs`"]["motcua_gate"] == "SI"
    assert cell["schema `audit`"]["motcua_transform"] == "U"               # no CREATE in audit
    assert cell["schema `audit`"]["motcua_history (no login)"] == "**own** UC"
    assert cell["`audit.publications`"]["motcua_owner"] == "—"             # sealed: not the owner's
    assert cell["`audit.publications`"]["motcua_transform"] == "SI"
    assert cell["`raw.case_events`"]["motcua_bi"] == "—"
    assert cell["`lineage.dbt_build_runs`"]["motcua_transform"] == "SIu"  # closes its own build row only
