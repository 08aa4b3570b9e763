"""Draw the snapshot plots as PNG bytes: a reliability diagram and a hit-rate/Brier trend.

Pure in the sense that matters here: data in, bytes out, no file I/O. Rendering uses the
Agg backend with a fixed size and dpi and strips the PNG metadata that would vary (the
matplotlib version string), so the same inputs give the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  # the backend must be chosen first

__all__ = ["reliability_png", "trend_png"]

_SIZE_INCHES = (6.4, 6.4)
_DPI = 100
_METADATA: dict[str, str | None] = {"Software": None}


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI, metadata=_METADATA)
    plt.close(figure)
    return buffer.getvalue()


def reliability_png(sections: Mapping[str, Sequence[Mapping[str, Any]]], *, title: str) -> bytes:
    """Reliability diagram: observed frequency against mean forecast per calibration bin,
    with the count per bin beneath. ``sections`` maps a label to its calibration bins."""
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=_SIZE_INCHES, sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    top.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=1, label="perfect")
    width = 1.0 / max(1, max((len(bins) for bins in sections.values()), default=1))
    for offset, (label, bins) in enumerate(sorted(sections.items())):
        filled = [b for b in bins if b["count"]]
        top.plot(
            [b["mean_p"] for b in filled],
            [b["freq_y"] for b in filled],
            marker="o",
            label=f"{label} (n = {sum(b['count'] for b in bins)})",
        )
        shift = (offset - (len(sections) - 1) / 2) * width / max(1, len(sections))
        bottom.bar(
            [(b["lo"] + b["hi"]) / 2 + shift for b in bins],
            [b["count"] for b in bins],
            width=width / max(1, len(sections)),
            label=label,
        )
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("observed frequency")
    top.set_title(title)
    top.legend(loc="upper left")
    bottom.set_xlabel("forecast probability (bin mean)")
    bottom.set_ylabel("count")
    figure.tight_layout()
    return _png(figure)


def _floats(rows: Sequence[Mapping[str, str]], name: str) -> list[float]:
    return [float(row[name]) if row.get(name) else float("nan") for row in rows]


def trend_png(rows: Sequence[Mapping[str, str]], *, title: str) -> bytes:
    """Hit rate and Brier score per snapshot (one point per as-of time, newest row wins)."""
    by_time = {row["as_of"]: row for row in rows}
    ordered = [by_time[key] for key in sorted(by_time)]
    labels = [row["as_of"][:13].replace("T", " ") for row in ordered]
    x = list(range(len(ordered)))
    figure, (top, bottom) = plt.subplots(2, 1, figsize=_SIZE_INCHES, sharex=True)
    top.plot(x, _floats(ordered, "win_rate"), marker="o", label="hit rate (all)")
    top.plot(x, _floats(ordered, "win_rate_7d"), marker=".", linestyle=":", label="hit rate (7d)")
    top.axhline(0.5, linestyle="--", color="grey", linewidth=1)
    top.set_ylabel("hit rate")
    top.set_title(title)
    top.legend(loc="upper left")
    bottom.plot(x, _floats(ordered, "brier"), marker="o", label="Brier (all)")
    bottom.plot(
        x, _floats(ordered, "brier_climatology"), linestyle="--", label="Brier (climatology)"
    )
    bottom.set_ylabel("Brier score")
    bottom.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    bottom.legend(loc="upper left")
    figure.tight_layout()
    return _png(figure)
