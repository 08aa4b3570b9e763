"""What each page shows, computed from :class:`~shared.dashboard.sources.Artifacts` (the
numbers come from the artifacts here, never from a template), and the Jinja2 rendering.

Templates autoescape every value; chart specs go into ``<script type="application/json">``
with ``<``, ``>`` and ``&`` written as JSON escapes, so no artifact text (a headline holding
``</script>``) can close the element or run.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from shared.dashboard import charts
from shared.dashboard.sources import MAX_TABLE_ROWS, Artifacts, Source, to_z
from shared.evaluation.scoring import score

__all__ = ["NAV", "Page", "render_pages"]

TEMPLATES = Path(__file__).parent / "templates"
NAV = (("index.html", "Overview"), ("symbols.html", "Symbols"), ("evaluation.html", "Evaluation"),
       ("board.html", "Readiness board"), ("backtests.html", "Backtests & tuning"),
       ("paper.html", "Paper trading"))
CADENCE = timedelta(hours=1)  # the scheduled workflows run hourly
HONESTY = ("Results on synthetic, backtest or paper data do not predict live results; no hit "
           "rate or skill is shown without its interval and sample size.")

Page = tuple[str, str]  # (file name, html)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.ChainableUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["spec"] = _spec_json
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["z"] = lambda value: to_z(value) or ("—" if value in (None, "") else value)
    return env


def _spec_json(spec: dict[str, Any]) -> Markup:
    """A chart spec as JSON safe inside a ``<script>`` element."""
    text = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - every character that could end the element is escaped


def _num(value: Any, digits: int = 4) -> str:
    if isinstance(value, jinja2.Undefined):
        return "—"
    if isinstance(value, bool) or value is None or value == "":
        return "—" if value is None or value == "" else str(value).lower()
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number.is_integer() and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:,.{digits}f}"


def _pct(value: Any) -> str:
    if value is None or isinstance(value, (bool, jinja2.Undefined)):
        return "—"
    try:
        return f"{100 * float(value):.1f}%"
    except (TypeError, ValueError):
        return "—"


def slug(symbol: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", symbol.lower()).strip("-") or "symbol"


def render_pages(art: Artifacts) -> list[Page]:
    """Every page of the site, as (file name, html), in a fixed order."""
    env = _environment()
    symbols = _symbol_pages(art)
    common = {"nav": NAV, "honesty": HONESTY,
              "symbol_links": [(name, s["symbol"]) for name, s in symbols]}
    pages: list[Page] = []

    def page(name: str, template: str, title: str, **context: Any) -> None:
        html = env.get_template(template).render(page=name, title=title, **common, **context)
        pages.append((name, html))

    page("index.html", "overview.html.j2", "Overview", **_overview(art))
    page("symbols.html", "symbols.html.j2", "Symbols", symbols=[s for _, s in symbols])
    for name, context in symbols:
        page(name, "symbol.html.j2", context["symbol"], **context)
    page("evaluation.html", "evaluation.html.j2", "Evaluation", **_evaluation(art))
    page("board.html", "board.html.j2", "Readiness board", **_board(art.board))
    page("backtests.html", "backtests.html.j2", "Backtests & tuning", **_backtests(art))
    page("paper.html", "paper.html.j2", "Paper trading", **_paper(art))
    return pages


def _overview(art: Artifacts) -> dict[str, Any]:
    runs = art.tracer.items + art.universe.items
    degraded = sum(1 for r in runs if r["degraded"])
    last = [
        _last("tracer", art.tracer.items, "as_of", "run_id"),
        _last("universe", art.universe.items, "as_of", "run_id"),
        _last("eval snapshot", art.snapshots.items, "as_of", "_path"),
        _last("backtest", art.backtests.items, "end", "report_id"),
        _last("tuning", art.optimizer.items, None, "run_id"),
        _last("paper", art.paper.items[0]["equity"] if art.paper.items else [], "as_of", None),
        _last("check", art.checks.items, "as_of", "_path"),
    ]
    checks = max(art.checks.items, key=lambda c: (to_z(c.get("as_of")) or "")) \
        if art.checks.items else None
    latest_tracer = art.tracer.items[-1] if art.tracer.items else None
    latest_universe = art.universe.items[-1] if art.universe.items else None
    return {
        "has_runs": bool(runs), "n_runs": len(runs), "n_degraded": degraded,
        "degraded_ratio": degraded / len(runs) if runs else None,
        "feeds": sorted({str(r["feed"]) for r in runs if r.get("feed")}),
        "last": last, "missed": _missed(art), "checks": checks,
        "latest_tracer": latest_tracer, "latest_universe": latest_universe,
        "sources": [_source_row(s) for s in art.sources()],
    }


def _source_row(source: Source) -> dict[str, Any]:
    return {"name": source.name, "pattern": source.pattern, "available": source.available,
            "count": len(source.items), "problems": source.problems[:20]}


def _last(stage: str, items: list[dict[str, Any]], time_key: str | None, id_key: str | None
          ) -> dict[str, Any]:
    if not items:
        return {"stage": stage, "when": None, "id": None, "degraded": None}
    if time_key is None:
        item = items[-1]
    else:
        item = max(items, key=lambda i: (to_z(i.get(time_key)) or "", str(i.get(id_key or ""))))
    return {"stage": stage, "when": to_z(item.get(time_key)) if time_key else None,
            "id": item.get(id_key) if id_key else None, "degraded": item.get("degraded")}


def _missed(art: Artifacts) -> list[dict[str, Any]]:
    """Hourly slots with no run between a stream's first and last run (tracer per symbol,
    universe), newest missing slots listed first."""
    streams: dict[str, list[str]] = defaultdict(list)
    for run in art.tracer.items:
        streams[f"tracer {run['symbol']}"].append(run["as_of"])
    for run in art.universe.items:
        streams["universe"].append(run["as_of"])
    out = []
    for name, stamps in sorted(streams.items()):
        times = sorted({datetime.fromisoformat(s.replace("Z", "+00:00")) for s in stamps if s})
        seen = set(times)
        missing: list[datetime] = []
        slot = times[0]
        while slot < times[-1] and len(missing) < 10_000:
            slot += CADENCE
            if slot not in seen and slot < times[-1]:
                missing.append(slot)
        out.append({"stream": name, "runs": len(times), "first": to_z(times[0]),
                    "last": to_z(times[-1]), "missed": len(missing),
                    "recent": [to_z(m) for m in missing[-5:][::-1]]})
    return out


def _symbol_pages(art: Artifacts) -> list[tuple[str, dict[str, Any]]]:
    by_symbol: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in art.tracer.items:
        by_symbol[run["symbol"]].append(run)
    out: list[tuple[str, dict[str, Any]]] = []
    used: set[str] = set()
    for symbol, runs in sorted(by_symbol.items()):
        name = base = f"symbol-{slug(symbol)}"
        n = 1
        while name in used:
            n += 1
            name = f"{base}-{n}"
        used.add(name)
        bars = art.bars.get(symbol, [])
        latest = runs[-1]
        out.append((f"{name}.html", {
            "symbol": symbol, "file": f"{name}.html", "runs": runs[::-1][:MAX_TABLE_ROWS],
            "n_runs": len(runs), "latest": latest,
            "triggers": sum(1 for r in runs if r["status"] == "triggered"),
            "chart": charts.price_chart(symbol, bars, runs) if bars or runs else None,
            "has_bars": bool(bars)}))
    return out


def _evaluation(art: Artifacts) -> dict[str, Any]:
    snapshot = max(art.snapshots.items, key=lambda s: (to_z(s.get("as_of")) or "", s["_path"])) \
        if art.snapshots.items else None
    reliability = []
    if snapshot is not None:
        for section in ("price", "polymarket"):
            data = snapshot.get(section) or {}
            bins = [b for b in data.get("calibration", ()) if isinstance(b, dict)]
            if bins:
                rows = []
                for b in bins:
                    count, freq = int(b.get("count") or 0), b.get("freq_y")
                    interval = charts.wilson(round(freq * count), count) \
                        if count and freq is not None else None
                    rows.append({**b, "ci": interval})
                reliability.append({
                    "section": section, "rows": rows, "n": data.get("n"),
                    "chart": charts.reliability_chart(
                        bins, f"Reliability ({section}, n={data.get('n')}, "
                        f"as of {to_z(snapshot.get('as_of'))})")})
    trends = _score_trends(art.observations.items)
    return {"snapshot": snapshot, "reliability": reliability, "trends": trends,
            "trend_rows": art.trend.items[-MAX_TABLE_ROWS:][::-1],
            "observations": len(art.observations.items)}


def _score_trends(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Brier and log-loss of resolved price forecasts per day, by feed and by cohort (asset
    class), each point with its sample size."""
    groups: dict[tuple[str, str, str], tuple[list[float], list[int]]] = {}
    for row in rows:
        if row.get("status") != "resolved" or row.get("y") not in ("0", "1"):
            continue
        try:
            p = float(row["p"])
        except (KeyError, TypeError, ValueError):
            continue
        day = (to_z(row.get("as_of")) or "")[:10]
        if not day or not 0.0 <= p <= 1.0:
            continue
        for dimension, value in (("feed", row.get("feed")), ("cohort", row.get("asset_class"))):
            ps, ys = groups.setdefault((dimension, str(value or "?"), day), ([], []))
            ps.append(p)
            ys.append(int(row["y"]))
    points: dict[str, list[dict[str, Any]]] = {"feed": [], "cohort": []}
    for (dimension, value, day), (ps, ys) in sorted(groups.items()):
        s = score(ps, ys)
        points[dimension].append({"time": f"{day}T00:00:00Z", "group": value, "n": s.n,
                                  "brier": s.brier, "log_loss": s.log_loss})
    out: dict[str, Any] = {"points": points, "charts": []}
    for dimension, label in (("feed", "feed"), ("cohort", "asset class")):
        if points[dimension]:
            for metric, title in (("brier", "Brier score"), ("log_loss", "log loss")):
                out["charts"].append(charts.line_chart(
                    points[dimension], title=f"{title} per day by {label} (lower is better)",
                    y=metric, y_title=title, color="group", color_title=label))
    return out


def _board(board: Source) -> dict[str, Any]:
    data = board.items[0] if board.items else None
    bots = []
    for bot in (data or {}).get("bots", ()):
        if not isinstance(bot, dict):
            continue
        categories: list[dict[str, Any]] = []
        failing: list[dict[str, Any]] = []
        for category, items in sorted((bot.get("items") or {}).items()):
            items = [i for i in items if isinstance(i, dict)]
            passed = sum(1 for i in items if i.get("pass"))
            categories.append({"name": category, "passed": passed, "total": len(items)})
            failing.extend({"category": category, **i} for i in items if not i.get("pass"))
        bots.append({**{k: v for k, v in bot.items() if k != "items"},
                     "categories": categories, "failing": failing})
    return {"board": data, "bots": bots}


def _backtests(art: Artifacts) -> dict[str, Any]:
    reports = []
    for report in sorted(art.backtests.items, key=lambda r: (str(r.get("end")),
                                                              str(r.get("report_id")))):
        equity = [{"time": to_z(row.get("time")), "equity": float(row["equity"])}
                  for row in report.get("_equity", ())
                  if to_z(row.get("time")) and _is_number(row.get("equity"))]
        reports.append({"report": report, "chart": charts.equity_chart(
            equity, f"Backtest {report.get('report_id')} {report.get('symbol')}: equity")
            if equity else None})
    tuning = [{**run, "_oos": _out_of_sample(run.get("out_of_sample"))}
              for run in sorted(art.optimizer.items, key=lambda r: str(r.get("run_id")))]
    return {"reports": reports, "tuning": tuning}


def _out_of_sample(value: Any) -> list[dict[str, Any]]:
    """One row per parameter set scored on the held-out window (``configured``,
    ``winning``): hit rate with its interval and n, Brier and log loss with intervals."""
    if not isinstance(value, dict):
        return []
    rows = []
    for arm, scores in sorted(value.items()):
        if not isinstance(scores, dict):
            continue
        rows.append({"arm": arm, **{key: scores.get(f"oos_{key}") for key in (
            "hit_rate", "hit_rate_interval", "resolved", "triggers", "brier", "brier_interval",
            "log_loss", "log_loss_interval", "z")}})
    return rows


def _paper(art: Artifacts) -> dict[str, Any]:
    ledger = art.paper.items[0] if art.paper.items else None
    chart = None
    if ledger is not None:
        equity = [{"time": to_z(row.get("as_of")), "equity": float(row["equity"])}
                  for row in ledger.get("equity", ())
                  if to_z(row.get("as_of")) and _is_number(row.get("equity"))]
        if equity:
            chart = charts.equity_chart(equity, "Paper account equity")
    drills = sorted(art.drills.items, key=lambda d: str(d.get("scenario")))
    return {"ledger": ledger, "chart": chart, "drills": drills,
            "orders": (ledger or {}).get("orders", [])[-MAX_TABLE_ROWS:][::-1],
            "fills": (ledger or {}).get("fills", [])[-MAX_TABLE_ROWS:][::-1]}


def _is_number(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False
