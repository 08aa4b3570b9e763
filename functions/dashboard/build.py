"""``tb dashboard build``: find the vendored chart libraries, then build the site.

The libraries come from npm at build time (``tools/dashboard/package.json`` pins exact
versions, ``package-lock.json`` their hashes; ``npm ci --prefix tools/dashboard`` installs
them) and are copied into ``SITE/assets``: nothing is fetched when a page is viewed.
``--vendor-dir`` (or ``TB_DASHBOARD_VENDOR``) points at another ``node_modules``.
"""

from __future__ import annotations

import os
from pathlib import Path

from shared.dashboard import SiteSummary, build_site

__all__ = ["DEFAULT_VENDOR", "build", "vendored_files"]

DEFAULT_VENDOR = Path(__file__).resolve().parents[2] / "tools" / "dashboard" / "node_modules"
# The file each page loads → where it sits in its npm package.
_PACKAGE_FILES = {
    "vega.min.js": "vega/build/vega.min.js",
    "vega-lite.min.js": "vega-lite/build/vega-lite.min.js",
    "vega-embed.min.js": "vega-embed/build/vega-embed.min.js",
}


def vendored_files(vendor_dir: Path | None = None) -> dict[str, Path]:
    """Each library file in ``vendor_dir`` (default: ``TB_DASHBOARD_VENDOR``, else
    ``tools/dashboard/node_modules``); a missing one is reported by the build."""
    base = vendor_dir or Path(os.environ.get("TB_DASHBOARD_VENDOR") or DEFAULT_VENDOR)
    return {name: base / rel for name, rel in _PACKAGE_FILES.items()}


def build(artifacts_dir: Path, out: Path, vendor_dir: Path | None = None) -> SiteSummary:
    """Build the site from ``artifacts_dir`` into ``out``."""
    return build_site(artifacts_dir, out, vendored_files(vendor_dir))
