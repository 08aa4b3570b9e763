"""Render run results as Telegram MarkdownV2 text. Pure: no I/O, tested on exact strings.

Escaping follows the Bot API: outside entities, each of ``_*[]()~`>#+-=|{}.!`` and the
backslash is escaped with a backslash. Messages are split on line boundaries so that every
part, *after* escaping, stays within ``MAX_MESSAGE_CHARS``.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts import Direction, OutcomeStatus, RunManifest, SignalOutcome
from shared.render.words import outcome_words

__all__ = [
    "MAX_MESSAGE_CHARS",
    "call_line",
    "escape_markdown_v2",
    "plain_text",
    "health_lines",
    "outcome_lines",
    "render_tracer_run",
    "split_message",
]

MAX_MESSAGE_CHARS = 4096
_SPECIAL = set("_*[]()~`>#+-=|{}.!\\")


def escape_markdown_v2(text: str) -> str:
    """Escape every MarkdownV2 special character in plain text."""
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)


def plain_text(markdown_v2: str) -> str:
    """The text a terminal shows for a MarkdownV2 part we rendered: escapes undone and the
    bold and code markers (unescaped asterisks and backticks) dropped, so ``*BTC\\-USD*``
    reads ``BTC-USD``. MarkdownV2 is for Telegram only."""
    out: list[str] = []
    escaped = False
    for ch in markdown_v2:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch not in "*`":
            out.append(ch)
    return "".join(out)


def split_message(lines: Sequence[str], limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Join already-escaped lines into parts of at most ``limit`` characters.

    A single line longer than the limit is cut at the limit, never inside an escape pair.
    """
    parts: list[str] = []
    current = ""
    for line in lines:
        for chunk in _cut(line, limit):
            candidate = f"{current}\n{chunk}" if current else chunk
            if len(candidate) <= limit:
                current = candidate
            else:
                parts.append(current)
                current = chunk
    if current or not parts:
        parts.append(current)
    return parts


def _cut(line: str, limit: int) -> list[str]:
    out = []
    while len(line) > limit:
        cut = limit
        if line[cut - 1] == "\\":  # never split "\x" apart
            cut -= 1
        out.append(line[:cut])
        line = line[cut:]
    out.append(line)
    return out


def call_line(outcome: SignalOutcome, horizon_hours: int | None) -> str:
    """Plain words of a triggered call: direction and horizon, the probability of the called
    direction as a word and a number, the target size and the decision time."""
    assert outcome.direction is not None
    side = outcome.direction.value
    horizon = f" over {horizon_hours}h" if horizon_hours else ""
    prob = ""
    if outcome.p_up is not None:
        p_side = outcome.p_up if outcome.direction is Direction.UP else 1.0 - outcome.p_up
        prob = f" (p {side} {p_side:.2f})"
    size = f"size {outcome.target_size:.2f}" if outcome.target_size is not None \
        else "no size"
    stamp = outcome.as_of.strftime("%Y-%m-%d %H:%M UTC")
    return (f"{side}{horizon}, {outcome.confidence or 'low'} confidence{prob}; {size}; "
            f"decided {stamp}")


def outcome_lines(outcome: SignalOutcome, horizon_hours: int | None = None) -> list[str]:
    """Escaped lines for one symbol's outcome: a triggered call shows direction, horizon,
    probability, size, decision time and its number-free evidence; anything else is one
    short line saying why in the words of its deciding reason code
    (:func:`shared.render.words.outcome_words`); the details stay in the artifact."""
    symbol = escape_markdown_v2(outcome.symbol)
    if outcome.status is OutcomeStatus.TRIGGERED and outcome.direction is not None:
        arrow = "⬆️" if outcome.direction is Direction.UP else "⬇️"
        lines = [f"{arrow} *{symbol}* {escape_markdown_v2(call_line(outcome, horizon_hours))}"]
        lines += [f"• {escape_markdown_v2(line)}" for line in outcome.evidence_lines]
        return lines
    closed = bool(set(outcome.reason_codes) & {"DATA_MARKET_CLOSED", "DATA_SESSION_OPENING"})
    icon = "⚠️" if outcome.status is OutcomeStatus.FAILED and not closed else "⏸"
    words = outcome_words(outcome.status, outcome.reason_codes)
    return [f"{icon} *{symbol}* {escape_markdown_v2(words)}"]


def health_lines(manifest: RunManifest) -> list[str]:
    lines = []
    if manifest.degraded:
        reasons = ", ".join(manifest.degraded_reasons)
        lines.append(f"⚠️ degraded: {escape_markdown_v2(reasons)}")
    if manifest.feed == "synthetic":
        lines.append(escape_markdown_v2("(synthetic feed: says nothing about live markets)"))
    return lines


def render_tracer_run(
    *,
    run_id: str,
    outcome: SignalOutcome,
    manifest: RunManifest,
    horizon_hours: int | None = None,
    limit: int = MAX_MESSAGE_CHARS,
) -> list[str]:
    """The digest of one tracer run: the call (if any), health, and the trace id (the run
    id, which names the artifact file)."""
    lines = [f"*Tracer Bullet* {escape_markdown_v2(outcome.symbol)}"]
    lines += outcome_lines(outcome, horizon_hours)
    lines += health_lines(manifest)
    lines.append(f"trace `{run_id}`")
    return split_message(lines, limit)
