"""Vega-Lite specs for the dashboard's charts, as plain data (the browser draws them with the
vendored vega-embed; nothing here draws).

Every spec carries its data inline (``data.values``): a page opened from ``file://`` cannot
fetch a JSON file. Times are UTC strings with ``Z`` on a ``utc`` scale, so the axis shows
the artifacts' times whatever the viewer's time zone. Specs are built from sorted inputs only,
so the same artifacts give the same bytes.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["equity_chart", "line_chart", "price_chart", "reliability_chart", "wilson"]

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"  # an identifier; never fetched
WIDTH = "container"
Spec = dict[str, Any]


_TIME_TIP = {"field": "time", "type": "temporal", "format": "%Y-%m-%d %H:%M", "formatType": "utc"}


def _base(title: str, values: list[dict[str, Any]]) -> Spec:
    return {"$schema": SCHEMA, "title": title, "width": WIDTH, "height": 260,
            "data": {"values": values}, "config": {"axis": {"labelFontSize": 11}}}


def _time_x(title: str = "time (UTC)") -> dict[str, Any]:
    return {"field": "time", "type": "temporal", "scale": {"type": "utc"}, "title": title,
            "axis": {"format": "%Y-%m-%d %H:%M", "formatType": "utc", "labelAngle": -30}}


def price_chart(symbol: str, bars: list[dict[str, Any]], runs: list[dict[str, Any]]) -> Spec:
    """Close price (left axis) with the narrative score (right axis) and a marker at each
    triggered run (▲ up, ▼ down), one time axis."""
    score = [{"time": r["as_of"], "narrative_score": r["narrative_score"]}
             for r in runs if r.get("narrative_score") is not None]
    triggers = [{"time": r["as_of"], "direction": r.get("direction") or "?",
                 "close": _close_at(bars, r["as_of"])}
                for r in runs if r.get("status") == "triggered"]
    spec = _base(f"{symbol}: close, narrative score and triggers", [])
    del spec["data"]
    price_y = {"field": "close", "type": "quantitative", "title": "close (USD)",
               "scale": {"zero": False}}
    price = {"layer": [
        {"data": {"values": bars}, "mark": {"type": "line", "color": "#1f5fa8"},
         "encoding": {"x": _time_x(), "y": price_y,
                      "tooltip": [_TIME_TIP, {"field": "close", "type": "quantitative"}]}},
        {"data": {"values": triggers},
         "mark": {"type": "point", "filled": True, "size": 120, "shape": "triangle"},
         "encoding": {"x": _time_x(), "y": price_y,
                      "color": {"field": "direction", "type": "nominal",
                                "scale": {"domain": ["up", "down", "?"],
                                          "range": ["#1a7f37", "#c62828", "#777777"]},
                                "title": "trigger"},
                      "tooltip": [_TIME_TIP, {"field": "direction", "type": "nominal"}]}},
    ]}
    narrative = {"data": {"values": score},
                 "mark": {"type": "line", "color": "#b26a00", "strokeDash": [4, 3],
                          "point": True},
                 "encoding": {"x": _time_x(),
                              "y": {"field": "narrative_score", "type": "quantitative",
                                    "title": "narrative score (dashed)",
                                    "axis": {"orient": "right"}}}}
    spec["layer"] = [price, narrative]
    spec["resolve"] = {"scale": {"y": "independent"}}
    return spec


def _close_at(bars: list[dict[str, Any]], when: str) -> float | None:
    """The last close at or before ``when`` (None before the first bar)."""
    close = None
    for bar in bars:
        if bar["time"] > when:
            break
        close = bar["close"]
    return close


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval of ``hits`` in ``n`` (95% by default); None when n is 0."""
    if n <= 0:
        return None
    p = hits / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def reliability_chart(bins: list[dict[str, Any]], title: str) -> Spec:
    """Observed frequency against mean forecast per bin, each with its Wilson 95% interval
    and its count written beside it, over the diagonal of perfect calibration."""
    values = []
    for b in bins:
        count, freq, mean_p = b.get("count") or 0, b.get("freq_y"), b.get("mean_p")
        if not count or freq is None or mean_p is None:
            continue
        interval = wilson(round(freq * count), count)
        assert interval is not None  # count > 0
        values.append({"mean_p": mean_p, "freq_y": freq, "count": count,
                       "lo": interval[0], "hi": interval[1], "label": f"n={count}"})
    x = {"field": "mean_p", "type": "quantitative", "title": "mean forecast p(up)",
         "scale": {"domain": [0, 1]}}
    y = {"field": "freq_y", "type": "quantitative", "title": "observed frequency of up",
         "scale": {"domain": [0, 1]}}
    spec = _base(title, values)
    spec["height"] = 300
    spec["layer"] = [
        {"data": {"values": [{"mean_p": 0, "freq_y": 0}, {"mean_p": 1, "freq_y": 1}]},
         "mark": {"type": "line", "color": "#999999", "strokeDash": [3, 3]},
         "encoding": {"x": x, "y": y}},
        {"mark": {"type": "rule", "color": "#1f5fa8"},
         "encoding": {"x": x, "y": {"field": "lo", "type": "quantitative"},
                      "y2": {"field": "hi"}}},
        {"mark": {"type": "point", "filled": True, "color": "#1f5fa8"},
         "encoding": {"x": x, "y": y, "size": {"field": "count", "type": "quantitative",
                                               "title": "forecasts in bin"},
                      "tooltip": [{"field": "count", "type": "quantitative"},
                                  {"field": "mean_p", "type": "quantitative", "format": ".3f"},
                                  {"field": "freq_y", "type": "quantitative", "format": ".3f"},
                                  {"field": "lo", "type": "quantitative", "format": ".3f"},
                                  {"field": "hi", "type": "quantitative", "format": ".3f"}]}},
        {"mark": {"type": "text", "dx": 16, "dy": -8, "fontSize": 10},
         "encoding": {"x": x, "y": y, "text": {"field": "label"}}},
    ]
    return spec


def line_chart(values: list[dict[str, Any]], *, title: str, y: str, y_title: str,
               color: str | None = None, color_title: str = "") -> Spec:
    """A time series (``time`` column) of ``y``, one line per ``color`` value."""
    spec = _base(title, values)
    encoding: dict[str, Any] = {"x": _time_x(), "y": {"field": y, "type": "quantitative",
                                                      "title": y_title}}
    tooltip = [_TIME_TIP, {"field": y, "type": "quantitative", "format": ".4f"}]
    if color is not None:
        encoding["color"] = {"field": color, "type": "nominal", "title": color_title}
        tooltip.append({"field": color, "type": "nominal"})
        if any("n" in v for v in values):
            tooltip.append({"field": "n", "type": "quantitative"})
    encoding["tooltip"] = tooltip
    spec["mark"] = {"type": "line", "point": True}
    spec["encoding"] = encoding
    return spec


def equity_chart(values: list[dict[str, Any]], title: str) -> Spec:
    """Equity over time (``time``, ``equity``)."""
    spec = line_chart(values, title=title, y="equity", y_title="equity (USD)")
    spec["encoding"]["y"]["scale"] = {"zero": False}
    spec["mark"] = {"type": "line", "point": False}
    return spec
