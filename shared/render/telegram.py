"""Render run results as Telegram MarkdownV2 text. Pure: no I/O, tested on exact strings.

Escaping follows the Bot API: outside entities, each of ``_*[]()~`>#+-=|{}.!`` and the
backslash is escaped with a backslash. Messages are split on line boundaries so that every
part, *after* escaping, stays within ``MAX_MESSAGE_CHARS``.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts import Direction, OutcomeStatus, RunManifest, SignalOutcome

__all__ = [
    "MAX_MESSAGE_CHARS",
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


_STATUS_LINE = {
    OutcomeStatus.SUPPRESSED: "no new call (held back by a guard or cooldown)",
    OutcomeStatus.NO_TRIGGER: "no call",
    OutcomeStatus.FAILED: "no decision: data unavailable",
}


def outcome_lines(outcome: SignalOutcome) -> list[str]:
    """Escaped lines for one symbol's outcome: a triggered call shows direction, a confidence
    word and its number-free evidence; anything else is one short line (the details are
    counted in the artifact, not spammed to chat)."""
    symbol = escape_markdown_v2(outcome.symbol)
    if outcome.status is OutcomeStatus.TRIGGERED and outcome.direction is not None:
        arrow = "⬆️" if outcome.direction is Direction.UP else "⬇️"
        lines = [f"{arrow} *{symbol}* {outcome.direction.value}, "
                 f"{outcome.confidence or 'low'} confidence"]
        lines += [f"• {escape_markdown_v2(line)}" for line in outcome.evidence_lines]
        return lines
    icon = "⚠️" if outcome.status is OutcomeStatus.FAILED else "⏸"
    return [f"{icon} *{symbol}* {escape_markdown_v2(_STATUS_LINE[outcome.status])}"]


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
    limit: int = MAX_MESSAGE_CHARS,
) -> list[str]:
    """The digest of one tracer run: the call (if any), health, and the trace id (the run
    id, which names the artifact file)."""
    lines = [f"*Tracer Bullet* {escape_markdown_v2(outcome.symbol)}"]
    lines += outcome_lines(outcome)
    lines += health_lines(manifest)
    lines.append(f"trace `{run_id}`")
    return split_message(lines, limit)
