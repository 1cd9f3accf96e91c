"""Data Docs show a failed warning as a warning, not as GX's red ✗.

GX knows only success or failure: a validation with one failed warning-level expectation (which
never blocks publication) gets the same red ✗ in the index, and "Status: Failed" on its page, as
one the gate blocked, so a published night looked broken. After each build this pass rewrites:

- on a validation page, the ✗ of each failed expectation whose description starts with
  "[warning]" (expectations.checks.expect writes the severity there) becomes an amber ⚠, and the
  page's status becomes "Passed with warnings" when no other expectation failed;
- in the index, the row of such a page gets the same ⚠ and the text "Passed with warnings".

A validation with a failed critical expectation keeps its ✗. Rewriting matches GX's own markup
only, so a second pass changes nothing.
"""
from __future__ import annotations

import logging
import os
import re
from pathlib import Path

log = logging.getLogger(__name__)

WARNING_CLASS = "motcua-warning"
PASSED_WITH_WARNINGS = "Passed with warnings"
_TITLE = 'title="warning: recorded, does not block publication"'
ROW_WARNING_ICON = f'<i class="fas fa-exclamation-triangle text-warning {WARNING_CLASS}" {_TITLE}></i>'
INDEX_WARNING_ICON = f'<i class="fas fa-exclamation-triangle text-warning ge-warning-icon {WARNING_CLASS}" {_TITLE}></i>'

# A failed expectation's icon cell, followed by its description cell starting with [warning].
_FAILED_WARNING_ROW = re.compile(
    r'<i class="fas fa-times text-danger" ></i>'
    r'(?=\s*</span>\s*</div></td><td[^>]*>\s*<div[^>]*>\s*<span[^>]*>\s*\[warning\])')
# The "n unexpected values found" line of a warning's description cell.
_WARNING_OBSERVED = re.compile(r'(\[warning\][^<]*</span>\s*)<strong class="text-danger" >')
_FAILED_ROW = '<i class="fas fa-times text-danger" ></i>'
_PAGE_STATUS_FAILED = '<i class="fas fa-times text-danger" aria-hidden="true"></i> Failed'
_PAGE_STATUS_WARNED = (f'<i class="fas fa-exclamation-triangle text-warning {WARNING_CLASS}" aria-hidden="true">'
                       f'</i> {PASSED_WITH_WARNINGS}')
# Index rows are dict literals inside a script, one per validation result.
_INDEX_ROW_START = "{'validation_success': '"
_INDEX_ROW_LINK = re.compile(r"'_table_row_link_path': '([^']+)'")
_INDEX_FAILED_ICON = '<i class="fas fa-times text-danger ge-failed-icon" ></i>'
_INDEX_FAILED_TEXT = "'_validation_success_text': 'Failed'"


def rewrite_validation_page(html: str) -> str:
    html = _FAILED_WARNING_ROW.sub(ROW_WARNING_ICON, html)
    html = _WARNING_OBSERVED.sub(r'\1<strong class="text-warning" >', html)
    if passed_with_warnings(html):
        html = html.replace(_PAGE_STATUS_FAILED, _PAGE_STATUS_WARNED)
    return html


def passed_with_warnings(page_html: str) -> bool:
    """Some expectation failed, and every failed one is a warning."""
    return WARNING_CLASS in page_html and _FAILED_ROW not in page_html


def rewrite_index(html: str, warned_pages: set[str]) -> str:
    """Give the rows linking to `warned_pages` (site-relative paths) the warning icon and text."""
    parts = html.split(_INDEX_ROW_START)
    for i in range(1, len(parts)):
        link = _INDEX_ROW_LINK.search(parts[i])
        if link and link.group(1) in warned_pages:
            parts[i] = (parts[i].replace(_INDEX_FAILED_ICON, INDEX_WARNING_ICON, 1)
                        .replace(_INDEX_FAILED_TEXT, f"'_validation_success_text': '{PASSED_WITH_WARNINGS}'", 1))
    return _INDEX_ROW_START.join(parts)


def _replace(page: Path, old: str, new: str) -> bool:
    if new == old:
        return False
    tmp = page.with_name(page.name + ".tmp")     # replaced whole: someone may be reading the docs
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, page)
    return True


def mark_warnings(site_dir: Path) -> int:
    """Rewrite the site's validation pages and index; return the number of files changed.

    Never raises: a page left with GX's ✗ is better than a failed gate run.
    """
    changed, warned = 0, set()
    try:
        for page in sorted(Path(site_dir, "validations").rglob("*.html")):
            html = page.read_text(encoding="utf-8")
            new = rewrite_validation_page(html)
            changed += _replace(page, html, new)
            if passed_with_warnings(new):
                warned.add(page.relative_to(site_dir).as_posix())
        index = Path(site_dir, "index.html")
        if index.exists():
            html = index.read_text(encoding="utf-8")
            changed += _replace(index, html, rewrite_index(html, warned))
    except (OSError, UnicodeError) as exc:
        log.warning("Data Docs still show failed warnings as failures: %s", exc)
    return changed
