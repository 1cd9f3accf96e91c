"""The project's docs stay true to the repository: contracts documented field by field, every
code reference and link resolving inside the repository, and no path outside it."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CONTRACT = ROOT / "ingestion" / "contract"
SCHEMAS = {
    "case-event.schema.json": DOCS / "contracts" / "case-events.md",
    "staff-event.schema.json": DOCS / "contracts" / "staff-events.md",
}
# A backticked path with a folder part, e.g. `dbt_project/models/marts/fct_cases.sql`.
CODE_PATH = re.compile(r"`([A-Za-z_][A-Za-z0-9_.-]*/[A-Za-z0-9_.*/-]+)`")
# Dotted names that look like paths but are database objects or topics.
NOT_PATHS = ("motcua.", "raw.", "audit.", "marts.", "quality.", "staging.", "intermediate.")
LINK = re.compile(r"\]\(([^)#\s]*)(?:#([^)\s]+))?\)")


def _doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def _then_clauses(schema: dict) -> dict[str, dict]:
    """event_type -> its `then` clause (required keys and data properties)."""
    return {c["if"]["properties"]["event_type"]["const"]: c["then"] for c in schema["allOf"]}


@pytest.mark.parametrize("schema_name", sorted(SCHEMAS))
def test_schema_is_valid_json_schema(schema_name: str) -> None:
    jsonschema.Draft202012Validator.check_schema(json.loads((CONTRACT / schema_name).read_text()))


@pytest.mark.parametrize("schema_name", sorted(SCHEMAS))
def test_contract_page_documents_every_event_type_and_field(schema_name: str) -> None:
    schema = json.loads((CONTRACT / schema_name).read_text())
    page = SCHEMAS[schema_name].read_text()
    missing = [f"envelope field {name}" for name in schema["properties"] if f"`{name}`" not in page]
    missing += [f"event type {t}" for t in schema["properties"]["event_type"]["enum"] if f"`{t}`" not in page]
    for event_type, then in _then_clauses(schema).items():
        data = then.get("properties", {}).get("data", {})
        for field, spec in data.get("properties", {}).items():
            if f"`{field}`" not in page:
                missing.append(f"{event_type} data.{field}")
            for value in spec.get("enum", []) or []:
                if f"`{value}`" not in page:
                    missing.append(f"{event_type} data.{field} value {value}")
    assert not missing, f"{SCHEMAS[schema_name].name} does not document: {', '.join(missing)}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_code_references_and_links_resolve_inside_the_repository() -> None:
    anchors = {page: {_slug(h) for h in re.findall(r"^#+ (.*)$", page.read_text(), re.M)} for page in _doc_pages()}
    broken = []
    for page in _doc_pages():
        text = page.read_text()
        for ref in CODE_PATH.findall(text):
            if ref.startswith(NOT_PATHS):
                continue
            found = list(ROOT.glob(ref)) if "*" in ref else [ROOT / ref] if (ROOT / ref).exists() else []
            if not found:
                broken.append(f"{page.relative_to(ROOT)}: `{ref}`")
        for target, anchor in LINK.findall(text):
            if target.startswith(("http://", "https://")):
                continue
            resolved = (page.parent / target).resolve() if target else page
            if not resolved.exists() or ROOT not in resolved.parents:
                broken.append(f"{page.relative_to(ROOT)}: link {target}")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors.get(resolved, set()):
                broken.append(f"{page.relative_to(ROOT)}: anchor {target}#{anchor}")
    assert not broken, "docs reference what is not in the repository: " + "; ".join(broken)


def _tracked_files() -> list[str]:
    """The repository's files: git's list in a checkout, else every file outside local state."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0:
        return listed.stdout.splitlines()
    skip = {".git", ".venv", ".local", "node_modules", "target", "logs", "__pycache__"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)]


def test_no_tracked_file_points_outside_the_repository() -> None:
    # Sibling folders and absolute machine paths are not part of a checkout: the repository must
    # carry its own copy of whatever it cites (docs/, ingestion/contract/).
    files = _tracked_files()
    # assembled from parts so that this file does not match its own check
    sibling, machine, notes = r"\.\./" + "shared\\b", r"(?<![\w.])/" + "work/", "TEAM-" + "NOTES"
    pattern = re.compile(f"{sibling}|{machine}|{notes}")
    offenders = []
    for name in files:
        path = ROOT / name
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert not offenders, "paths outside the repository: " + ", ".join(offenders)
