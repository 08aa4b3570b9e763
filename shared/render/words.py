"""The one place an outcome and its reason codes become words for a person.

Every digest (the tracer's, the universe's, the heartbeat) says *why* a symbol did or did not
fire through :func:`outcome_words`, which reads the outcome's status and its first reason code
(the deciding one: the engine puts it first). So the words cannot contradict the artifact:
a ``DIV_PRICE_ONLY`` outcome never reads "not over the threshold", a ``SIGNAL_ALREADY_ACTIVE``
one never reads "held back by a guard or cooldown".

Codes the chat sees often have a short phrase here; every other registered code is worded by
its own ``meaning`` in ``config/reason_codes.yaml`` (first clause), so a newly registered code
is worded the moment it is registered. tests/shared/render/test_words.py runs every code.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts import OutcomeStatus
from shared.reason_codes import ReasonCodeRegistry, default_registry

__all__ = ["PHRASES", "STATUS_WORDS", "outcome_words", "reason_words"]

STATUS_WORDS: dict[OutcomeStatus, str] = {
    OutcomeStatus.TRIGGERED: "call",
    OutcomeStatus.SUPPRESSED: "no new call",
    OutcomeStatus.NO_TRIGGER: "no call",
    OutcomeStatus.FAILED: "no decision",
}

# Short phrases for the codes that decide an outcome. Each says what its registry meaning says.
PHRASES: dict[str, str] = {
    "DIV_TRIGGER": "the narrative diverges from the price beyond the threshold",
    "DIV_BELOW_THRESHOLD": "the divergence is below the threshold",
    "DIV_LOW_MASS": "the divergence is large enough but rests on too little news",
    "DIV_NEAR_THRESHOLD": "the divergence is close to the threshold",
    "DIV_NO_NARRATIVE": "no headlines in the narrative window",
    "DIV_PRICE_ONLY": "the price move drives the gap; no narrative of that side leads it",
    "DIV_MODEL_DISAGREEMENT": "the sentiment models disagree on much of the news",
    "DIV_NOT_EFFECTIVE": "the divergence bot is in shadow mode and may not act",
    "DIV_HARD_EXTREME_MOVE": "the price move is a shock beyond the hard limit",
    "SIGNAL_ALREADY_ACTIVE": "the same call was already active at the previous poll",
    "GUARD_TREND_BLOCK": "held back by the trend guard: it fights a strong longer trend",
    "GUARD_PERSISTENCE_BLOCK": "held back by the persistence guard: one source, one moment",
    "GUARD_PARTICIPATION_BLOCK": "held back by the participation guard: too little volume",
    "COOLDOWN_ACTIVE": "held back by the cooldown: the same call fired recently",
    "DATA_INSUFFICIENT_BARS": "too few closed bars to decide",
    "DATA_STALE": "data late: the newest bar is too old",
    "DATA_MARKET_CLOSED": "market closed",
    "DATA_SESSION_OPENING": "session opening: no hourly bar has closed yet",
    "DATA_INVALID_BARS": "the bars broke their contract",
    "DATA_NO_SOURCE": "no data configured for this symbol on this feed",
    "SYMBOL_FAILED": "processing the symbol raised an error",
    "BOT_STUB": "the divergence bot is a stub",
    "BOT_QUARANTINED": "the divergence bot is quarantined",
    "BOT_INPUT_INVALID": "the bot's input failed validation",
    "BOT_EXCEPTION": "the bot raised while deciding",
    "PROVIDER_ERROR": "a provider failed",
    "PROVIDER_TRANSIENT": "a provider timed out or answered with an error",
    "PROVIDER_CIRCUIT_OPEN": "a provider's circuit breaker is open",
    "PROVIDER_AUTH": "a provider refused the credentials",
    "PROVIDER_BAD_RESPONSE": "a provider's answer did not parse",
}


def reason_words(code: str, registry: ReasonCodeRegistry | None = None) -> str:
    """A short phrase for one reason code: its entry in :data:`PHRASES`, else the first clause
    of its registered meaning; an unregistered code is named as such (never guessed)."""
    if code in PHRASES:
        return PHRASES[code]
    reg = registry or default_registry()
    if code not in reg:
        return f"unregistered reason {code}"
    clause = reg[code].meaning.split(";")[0].strip().rstrip(".")
    first = clause.split(" ", 1)[0]
    if len(first) == 1 or first[1:].islower():  # "The bot" -> "the bot"; "FinBERT" stays
        clause = clause[:1].lower() + clause[1:]
    return clause


def outcome_words(status: OutcomeStatus, reason_codes: Sequence[str],
                  registry: ReasonCodeRegistry | None = None) -> str:
    """"no call (the divergence is below the threshold)": the status, and why in the words of
    the deciding (first) reason code. A trigger is just "call"."""
    head = STATUS_WORDS[status]
    if status is OutcomeStatus.TRIGGERED or not reason_codes:
        return head
    return f"{head} ({reason_words(reason_codes[0], registry)})"
