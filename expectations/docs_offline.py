"""Make the Data Docs site self-contained: serve GX's CDN scripts, styles and logo locally.

GX 1.x pages load jQuery, Bootstrap, bootstrap-table, vega, Font Awesome and a logo from public
CDNs, and the index draws its validation-results table with bootstrap-table: on an offline
network the index shows no results at all. After each build, the files pinned in
`expectations/docs_assets/package.json` (installed from npm by `make setup`) are copied into
`<site>/static/vendor/` and every page's CDN references are rewritten to relative local paths.

Rewriting maps exact CDN URLs only, so a page already rewritten has nothing left to match and a
second pass changes nothing. Navigation links (greatexpectations.io, the newsletter) are left.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from motcua.settings import state_dir
from motcua.errors import PermanentError

log = logging.getLogger(__name__)

VENDOR = Path("static", "vendor")

_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs/"
_BT = "https://unpkg.com/bootstrap-table@"
_FC = "extensions/filter-control/bootstrap-table-filter-control"
_BT_DIST = "bootstrap-table/dist/"
# CDN URL (without query string) -> file inside node_modules, at the versions GX pins.
ASSETS: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    _CDNJS + "popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    _BT + "1.19.1/dist/bootstrap-table.min.js": _BT_DIST + "bootstrap-table.min.js",
    _BT + "1.19.1/dist/bootstrap-table.min.css": _BT_DIST + "bootstrap-table.min.css",
    _BT + "1.19.1/dist/" + _FC + ".min.js": _BT_DIST + _FC + ".min.js",
    # GX asks for 1.19.0's filter-control CSS: byte-identical in 1.19.1 but for the version banner.
    _BT + "1.19.0/dist/" + _FC + ".min.css": _BT_DIST + _FC + ".min.css",
    _BT + "1.19.0/dist/" + _FC + ".css": _BT_DIST + _FC + ".css",
    _CDNJS + "bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
    _CDNJS + "bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    _CDNJS + "font-awesome/6.6.0/css/all.min.css": "@fortawesome/fontawesome-free/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    # jsDelivr serves a package's "jsdelivr" entry (build/*.min.js) for a bare name@major.
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
# Loaded by a vendored stylesheet through url(../webfonts/...), so copied next to it.
ASSET_DIRS: tuple[str, ...] = ("@fortawesome/fontawesome-free/webfonts",)
# GX's S3 logos -> site-relative files GX itself copies into static/images. There is no local
# light-on-dark logo, so dark mode gets the regular one rather than a network request.
_S3 = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/"
SITE_FILES: dict[str, str] = {
    _S3 + "logo-long.png": "static/images/logo-long.png",
    _S3 + "full_logo_dark.png": "static/images/logo-long.png",
}

_TAG = re.compile(r"<(?:script|link|img)\b[^>]*>", re.I)
_REF = re.compile(r"""((?<![\w-])(?:src|href)\s*=\s*)(["'])([^"']*)\2""", re.I)
_SRI = re.compile(r"""\s+(?:integrity|crossorigin)\s*=\s*(["'])[^"']*\1""", re.I)
_CSS_URL = re.compile(r"""url\((["']?)(https?://[^"')]+)\1\)""", re.I)
# GX writes ./static/... or ../../static/... but miscounts the depth of validation pages.
_SITE_STATIC = re.compile(r"^(?:\./|(?:\.\./)+)(static/[^?#]+)$")


class DocsAssetsMissing(PermanentError, RuntimeError):
    """The vendored browser assets are not installed (`make setup` installs them)."""


def assets_dir() -> Path:
    return Path(os.environ.get("MOTCUA_DOCS_ASSETS_DIR", state_dir() / "docs_assets" / "node_modules"))


def make_offline(site_dir: Path, node_modules: Path | None = None) -> int:
    """Vendor the assets into site_dir and rewrite its pages; return the number of pages changed.

    Never raises: Data Docs are a by-product of the gate, and pages that still load from CDNs
    are better than a failed gate run.
    """
    node_modules = node_modules or assets_dir()
    try:
        copy_assets(Path(site_dir), node_modules)
        changed, unknown = 0, set()
        for page in sorted(Path(site_dir).rglob("*.html")):
            page_changed, page_unknown = rewrite_page(page, Path(site_dir))
            changed, unknown = changed + page_changed, unknown | page_unknown
        if unknown:
            # A GX upgrade that adds a CDN asset: the pages work online only until ASSETS knows it.
            log.warning("Data Docs load assets not vendored in expectations/docs_offline.py: %s",
                        ", ".join(sorted(unknown)))
        return changed
    except DocsAssetsMissing as exc:
        log.warning("Data Docs still load scripts and styles from public CDNs (they will not work "
                    "offline): %s. Run `make setup` to install them.", exc)
    except (OSError, UnicodeError) as exc:
        log.warning("Data Docs could not be made self-contained: %s", exc)
    return 0


def copy_assets(site_dir: Path, node_modules: Path) -> None:
    """Copy the vendored files into site_dir/static/vendor; unchanged ones are not copied again."""
    missing = [rel for rel in (*ASSETS.values(), *ASSET_DIRS) if not (node_modules / rel).exists()]
    if missing:
        raise DocsAssetsMissing(f"{len(missing)} vendored files missing under {node_modules}, "
                                f"e.g. {missing[0]}")
    files = [Path(rel) for rel in ASSETS.values()]
    files += [p.relative_to(node_modules) for d in ASSET_DIRS for p in (node_modules / d).rglob("*") if p.is_file()]
    for rel in files:
        src, dst = node_modules / rel, site_dir / VENDOR / rel
        st = src.stat()
        if dst.exists() and (dst.stat().st_size, dst.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns):
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)


def _local_target(url: str) -> str | None:
    """Site-relative path serving this URL, or None if it is not an asset we vendor."""
    bare = url.split("?", 1)[0].split("#", 1)[0]
    if bare in ASSETS:
        return (VENDOR / ASSETS[bare]).as_posix()
    return SITE_FILES.get(bare)


def rewrite_html(html: str, depth: int) -> tuple[str, set[str]]:
    """The page with every vendored CDN reference made relative to a page `depth` folders deep,
    and the external asset URLs left (scripts, stylesheets, images nothing here vendors)."""
    up = "../" * depth
    unknown: set[str] = set()

    def tag(m: re.Match[str]) -> str:
        text, vendored = m.group(0), False

        def ref(r: re.Match[str]) -> str:
            nonlocal vendored
            value = r.group(3)
            target = _local_target(value)
            if target:
                vendored = True
            elif fixed := _SITE_STATIC.match(value):
                target = fixed.group(1)
            elif value.lower().startswith(("http://", "https://")) and _is_asset(m.group(0)):
                unknown.add(value)
            return f"{r.group(1)}{r.group(2)}{up}{target}{r.group(2)}" if target else r.group(0)

        text = _REF.sub(ref, text)
        # The CDN's integrity hash and CORS mode make browsers refuse file:// scripts.
        return _SRI.sub("", text) if vendored else text

    def css_url(m: re.Match[str]) -> str:
        target = _local_target(m.group(2))
        if not target:
            unknown.add(m.group(2))
        return f"url({m.group(1)}{up}{target}{m.group(1)})" if target else m.group(0)

    return _CSS_URL.sub(css_url, _TAG.sub(tag, html)), unknown


def _is_asset(tag: str) -> bool:
    """Scripts, images and stylesheets load with the page; other <link>s (canonical...) do not."""
    if not tag.lower().startswith("<link"):
        return True
    return bool(re.search(r"""\brel\s*=\s*["']?[^"'>]*stylesheet""", tag, re.I))


def rewrite_page(page: Path, site_dir: Path) -> tuple[bool, set[str]]:
    depth = len(page.relative_to(site_dir).parts) - 1
    html = page.read_text(encoding="utf-8")
    new, unknown = rewrite_html(html, depth)
    if new != html:
        # Replaced whole: someone may be reading the docs while the gate runs.
        tmp = page.with_name(page.name + ".tmp")
        tmp.write_text(new, encoding="utf-8")
        os.replace(tmp, page)
    return new != html, unknown
