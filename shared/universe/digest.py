"""Render a universe run: the Telegram MarkdownV2 digest and the Actions step-summary table.

Pure functions of a :class:`UniverseRun`, tested on exact strings. The chat digest keeps its
evidence lines number-free (the numbers stay in the artifact); the Polymarket section is the one
place numbers appear, because side-by-side probabilities are its content. Every part stays
under Telegram's limit after escaping (:func:`shared.render.telegram.split_message`).
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts import Direction, format_utc
from shared.contracts.universe import (
    PolymarketComparison,
    RankKind,
    SymbolRecord,
    SymbolState,
    UniverseRun,
)
from shared.render.telegram import MAX_MESSAGE_CHARS, call_line, escape_markdown_v2, split_message
from shared.render.words import outcome_words

__all__ = ["render_step_summary", "render_universe_digest"]

_E = escape_markdown_v2
_STALE_WORDS = (
    ("DATA_MARKET_CLOSED", "market closed"),
    ("DATA_SESSION_OPENING", "session opening"),
    ("DATA_STALE", "data late"),
)


def render_universe_digest(run: UniverseRun, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """The digest: top-N calls with evidence, near-triggers, Polymarket, health, trace."""
    by_symbol = {r.symbol: r for r in run.symbols}
    stamp = run.as_of.strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"*Tracer Bullet universe* {_E(stamp)}"]
    triggers = [e for e in run.ranking if e.kind is RankKind.TRIGGER]
    near = [e for e in run.ranking if e.kind is RankKind.NEAR_TRIGGER]
    if triggers:
        lines.append("*Calls*")
        for entry in triggers:
            lines += _call_lines(by_symbol[entry.symbol])
    else:
        lines.append(_E("No symbol crossed its threshold this hour."))
    if near:
        lines.append("*Near the threshold*")
        for entry in near:
            lines += _near_lines(by_symbol[entry.symbol])
    lines += _polymarket_lines(run)
    lines += _health_lines(run)
    lines.append(f"trace `{run.run_id}`")
    return split_message(lines, limit)


def _name(record: SymbolRecord) -> str:
    return f"*{_E(record.symbol)}* {_E(record.name)}"


def _call_lines(record: SymbolRecord) -> list[str]:
    outcome = record.outcome
    assert outcome is not None and outcome.direction is not None
    arrow = "⬆️" if outcome.direction is Direction.UP else "⬇️"
    horizon = record.forecast.horizon_hours if record.forecast else None
    head = f"{arrow} {_name(record)}: {_E(call_line(outcome, horizon))}"
    return [head, *(f"• {_E(line)}" for line in outcome.evidence_lines)]


def _near_lines(record: SymbolRecord) -> list[str]:
    outcome = record.outcome
    assert outcome is not None
    lean = f"leaning {outcome.direction.value}" if outcome.direction is not None else "no lean"
    why = outcome_words(outcome.status, outcome.reason_codes)
    return [f"◽ {_name(record)}: {_E(lean)}, {_E(why)}",
            *(f"• {_E(line)}" for line in outcome.evidence_lines[:1])]


def _comparisons(run: UniverseRun) -> list[PolymarketComparison]:
    found = [c for r in run.symbols if r.polymarket for c in r.polymarket.comparisons]
    return sorted(found, key=lambda c: (-abs(c.internal_prob - c.market_prob), c.symbol,
                                        c.market_id))


def _polymarket_lines(run: UniverseRun) -> list[str]:
    comparisons = _comparisons(run)
    if run.polymarket.source == "none" or not comparisons:
        return []
    lines = ["*Polymarket* " + _E("(ours vs market, read at decision time)")]
    for c in comparisons[: run.settings.max_polymarket_lines]:
        lines.append(f"📊 *{_E(c.symbol)}* {_E(c.question)} " + _E(
            f"ours {_pct(c.internal_prob)} vs market {_pct(c.market_prob)}"))
    return lines


def _pct(p: float) -> str:
    return f"{round(100 * p)}%"


def _listed(symbols: Sequence[str], cap: int) -> str:
    text = ", ".join(symbols[:cap])
    return text + (", and others" if len(symbols) > cap else "")


def _health_lines(run: UniverseRun) -> list[str]:
    manifest = run.manifest
    cap = run.settings.max_listed_symbols
    parts = [f"degraded ({', '.join(manifest.degraded_reasons)})" if manifest.degraded
             else "ok"]
    stale = [r for r in run.symbols if r.state is SymbolState.STALE]
    for code, words in _STALE_WORDS:
        named = [r.symbol for r in stale if code in r.reason_codes]
        if named:
            parts.append(f"{words}: {_listed(named, cap)}")
    if run.failed_symbols:
        parts.append(f"failed: {_listed(list(run.failed_symbols), cap)}")
    icon = "⚠️ " if manifest.degraded else ""
    lines = [icon + _E("health: " + "; ".join(parts))]
    if manifest.feed == "synthetic":
        lines.append(_E("(synthetic feed: says nothing about live markets)"))
    return lines


def render_step_summary(run: UniverseRun) -> str:
    """A GitHub-flavoured Markdown summary for ``$GITHUB_STEP_SUMMARY``."""
    by_symbol = {r.symbol: r for r in run.symbols}
    out = [f"### Tracer Bullet universe, {format_utc(run.as_of)}", "",
           f"run `{run.run_id}` · feed `{run.manifest.feed}` · "
           f"{run.counts.symbols} symbols: {run.counts.triggered} triggered, "
           f"{run.counts.near_triggers} near, {run.counts.stale} stale, "
           f"{run.counts.failed} failed", ""]
    if run.ranking:
        out += ["| # | symbol | kind | status | direction | confidence | p_up | rank score |",
                "|---|---|---|---|---|---|---|---|"]
        for entry in run.ranking:
            o = by_symbol[entry.symbol].outcome
            assert o is not None
            direction = o.direction.value if o.direction else ""
            p_up = f"{o.p_up:.2f}" if o.p_up is not None else ""
            out.append(f"| {entry.rank} | {_cell(entry.symbol)} | {entry.kind.value} | "
                       f"{o.status.value} | {direction} | {o.confidence or ''} | {p_up} | "
                       f"{entry.rank_score:.2f} |")
    else:
        out.append("No triggers or near-triggers this run.")
    comparisons = _comparisons(run)
    if comparisons:
        out += ["", "| symbol | market | ours | market price | price at |", "|---|---|---|---|---|"]
        for c in comparisons:
            out.append(f"| {_cell(c.symbol)} | {_cell(c.question)} | {_pct(c.internal_prob)} | "
                       f"{_pct(c.market_prob)} | {format_utc(c.market_price_at)} |")
    health = "degraded: " + ", ".join(run.manifest.degraded_reasons) if run.manifest.degraded \
        else "ok"
    out += ["", f"**Health:** {health}"]
    if run.stale_symbols:
        out.append(f"**Stale:** {', '.join(run.stale_symbols)}")
    if run.failed_symbols:
        out.append(f"**Failed:** {', '.join(run.failed_symbols)}")
    if run.manifest.feed == "synthetic":
        out.append("_Synthetic feed: says nothing about live markets._")
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
