"""The static dashboard: pages built from the committed artifacts only.

:func:`build_site` reads every source (:mod:`shared.dashboard.sources`), computes what each
page shows (:mod:`shared.dashboard.pages`, charts as Vega-Lite specs from
:mod:`shared.dashboard.charts`), and writes ``SITE/*.html`` plus ``SITE/assets/`` (our CSS
and JS, and the chart libraries copied from the files the caller names, vendored from npm at
build time). Nothing is fetched when a page is viewed, so the site works from ``file://`` and
on GitHub Pages. Same artifacts and libraries → same bytes.

The site is built in a temp folder beside ``SITE`` and swapped in whole, so a failed build
leaves the previous site as it was. A ``SITE`` that exists and was not made by this builder
(no ``.tb-dashboard`` marker) is refused rather than replaced.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.dashboard.pages import render_pages
from shared.dashboard.sources import load_artifacts
from shared.errors import ArtifactError
from shared.store.atomic import atomic_write_bytes

__all__ = ["MARKER", "VENDORED", "SiteSummary", "build_site"]

MARKER = ".tb-dashboard"
STATIC = Path(__file__).parent / "static"
# The chart libraries each page loads, by the file name the pages use.
VENDORED = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")


@dataclass(frozen=True)
class SiteSummary:
    """What a build wrote: the pages, and which sources had data."""

    out: Path
    pages: tuple[str, ...]
    available: tuple[str, ...]
    missing: tuple[str, ...]


def build_site(artifacts_dir: Path, out: Path, vendored: Mapping[str, Path]) -> SiteSummary:
    """Build the site from ``artifacts_dir`` into ``out``; ``vendored`` maps each name of
    :data:`VENDORED` to the library file to copy (:class:`ArtifactError` when one is
    missing, or when ``out`` holds something this builder did not make)."""
    absent = [name for name in VENDORED if name not in vendored or not vendored[name].is_file()]
    if absent:
        raise ArtifactError(f"chart libraries missing: {', '.join(absent)} (vendor them with "
                            "`npm ci --prefix tools/dashboard`)")
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                               and not (out / MARKER).is_file())):
        raise ArtifactError(f"{out}: exists and is not a site built by tb dashboard build; "
                            "choose an empty or new folder")
    art = load_artifacts(artifacts_dir)
    pages = render_pages(art)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, html in pages:
            atomic_write_bytes(staging / name, html.encode("utf-8"))
        for name in VENDORED:
            atomic_write_bytes(staging / "assets" / name, vendored[name].read_bytes())
        for path in sorted(STATIC.iterdir()):
            atomic_write_bytes(staging / "assets" / path.name, path.read_bytes())
        atomic_write_bytes(staging / MARKER, b"built by tb dashboard build\n")
        staging.chmod(0o755)
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    sources = art.sources()
    return SiteSummary(out=out, pages=tuple(name for name, _ in pages),
                       available=tuple(s.name for s in sources if s.available),
                       missing=tuple(s.name for s in sources if not s.available))
