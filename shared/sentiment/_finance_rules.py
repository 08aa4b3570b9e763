"""Finance-aware rules: direction words on financial quantities, comparisons, events.

``rule_evidence(text)`` returns a signed evidence sum (positive = good news for an investor)
for one lowercased, normalised sentence. It is pure and allocation-light, so the offline
scorer stays at thousands of sentences per second.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from shared.sentiment import _finance_lexicon as lex
from shared.sentiment._finance_events import EVENT_PATTERNS

__all__ = ["RuleEvidence", "parse_number", "rule_evidence", "tokenize"]

_TOKEN_RE = re.compile(r"[$€£]?\d+(?:[.,]\d+)*%?|[a-z]+(?:[&'’-][a-z0-9]+)*|[;:,()%$€£.!?]")
_NUMBER_RE = re.compile(r"^[$€£]?(\d+(?:[.,]\d+)*)(%?)$")
# The three shapes of a number's digits (see parse_number); \d is any Unicode decimal digit,
# which float() reads too.
_PLAIN_RE = re.compile(r"\d+(?:[.,]\d+)?")
_COMMA_GROUPS_RE = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_DOT_GROUPS_RE = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_BACK_WINDOW = 12
_FORWARD_WINDOW = 4
_NEGATION_WINDOW = 4
_NEGATION_FACTOR = -0.7
_BEFORE_CONTRAST_WEIGHT = 0.6
_BARE_LOSS_WEIGHT = -0.8
# A loss or a write-down reported with an amount and nothing to compare it with.
_BARE_BAD = frozenset({"loss", "losses", "impairment", "impairments", "write-down", "write-downs"})
# "loss per share", "profit before taxes": the quantity after these only qualifies another.
_MODIFIER_PREPOSITIONS = frozenset({"per", "before", "after", "excluding", "including"})
# "from a loss of EUR 1 mn" is the base of a comparison, not a reported loss.
_COMPARISON_LEAD = frozenset(
    {"from", "against", "compared", "versus", "vs", "after", "than", "with"}
)
# Skipped when looking for the object of a direction word ("cut up to 90 jobs").
_APPROXIMATORS = frozenset(
    {"about", "around", "approximately", "nearly", "almost", "some", "roughly"}
)
_NOT_A_RECORD = frozenset({"low", "lows", "date", "dates"})
_AMOUNT_SUFFIXES = frozenset({"%", "percent", "per", *lex.MULTIPLIERS, *lex.CURRENCIES})
# Quantities that may be compared with each other ("profit ... compared to a loss").
_RESULT_FAMILY = frozenset(
    {
        "profit",
        "profits",
        "loss",
        "losses",
        "result",
        "results",
        "earnings",
        "income",
        "ebit",
        "ebitda",
        "ebita",
        "eps",
    }
)
_COMPARATORS = frozenset({"compared", "comparison", "from", "versus", "vs", "against", "("})


@dataclass(frozen=True, slots=True)
class RuleEvidence:
    """The signed rule evidence of one sentence and the hedge factor applied to it."""

    total: float
    hedge: float
    items: int


def tokenize(text: str) -> tuple[list[str], list[int]]:
    """Split lowercased text into word, number and punctuation tokens with their offsets."""
    tokens: list[str] = []
    starts: list[int] = []
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if token.endswith(("'s", "’s")):
            token = token[:-2]
        tokens.append(token)
        starts.append(match.start())
    return tokens, starts


def rule_evidence(text: str) -> RuleEvidence:
    """Sum the rule evidence of one lowercased, normalised sentence."""
    tokens, starts = tokenize(text)
    weights = _position_weights(tokens)
    items: list[tuple[int, float]] = []
    paired: set[int] = set()
    items.extend(_direction_items(tokens, paired))
    items.extend(_comparison_items(tokens, paired))
    items.extend(_event_items(text, tokens, starts))
    total = 0.0
    for position, value in items:
        if _is_negated(tokens, position):
            value *= _NEGATION_FACTOR
        total += weights[position] * value
    return RuleEvidence(total=total, hedge=_hedge_factor(tokens), items=len(items))


# Weight of each token position: 0 inside a "despite ..." phrase, lower before "but".
def _position_weights(tokens: Sequence[str]) -> list[float]:
    weights = [1.0] * len(tokens)
    contrast = next(
        (i for i, t in enumerate(tokens) if i > 0 and t in lex.CONTRAST_WORDS - {"although"}),
        None,
    )
    if contrast is not None:
        for i in range(contrast):
            weights[i] = _BEFORE_CONTRAST_WEIGHT
    # One pass (a walk per "despite" would be quadratic in a run of them).
    inside = False
    for i, word in enumerate(tokens):
        if word == "despite" or (word == "spite" and i > 0 and tokens[i - 1] == "in"):
            inside = True
        elif word in lex.BOUNDARIES or word == ",":
            inside = False
        if inside:
            weights[i] = 0.0
    return weights


# Polarity of the quantity at position i: +1 good, -1 bad, 0 staff count, None not a quantity.
def _quantity_polarity(tokens: Sequence[str], i: int) -> int | None:
    token = tokens[i]
    if token in lex.JOB_WORDS:
        return 0
    polarity = lex.QUANTITIES.get(token)
    if polarity is None:
        return None
    before = set(tokens[max(0, i - 2) : i])
    previous = tokens[i - 1] if i > 0 else ""
    after = tokens[i + 1] if i + 1 < len(tokens) else ""
    if previous in _MODIFIER_PREPOSITIONS:
        return None
    if token in ("share", "shares") and after in ("capital", "issue", "offering", "split"):
        return None
    if token in ("price", "prices") and before & lex.BAD_PRICE_MODIFIERS:
        return -1
    if token in ("rate", "rates"):
        return 1 if before & lex.GOOD_RATE_MODIFIERS else -1
    return polarity


# +1/-1 when the token is a direction word at this position, else 0.
def _direction(tokens: Sequence[str], i: int) -> int:
    word = tokens[i]
    if word in ("up", "down"):
        previous = tokens[i - 1] if i > 0 else ""
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if previous in lex.PARTICLE_VERBS or (word == "up" and following == "to"):
            return 0
    if word == "record" and i + 1 < len(tokens) and tokens[i + 1] in _NOT_A_RECORD:
        return 0
    if word in lex.UP_WORDS:
        return 1
    if word in lex.DOWN_WORDS:
        return -1
    return 0


# Nearest quantity to a direction word: its object if one follows ("cut costs", "higher
# prices", "an increase in sales"), else its subject ("sales rose"), inside the clause.
def _nearest_quantity(tokens: Sequence[str], i: int) -> int | None:
    ahead = _forward_quantity(tokens, i)
    if ahead is not None:
        return ahead
    for back in range(i - 1, max(-1, i - _BACK_WINDOW - 1), -1):
        if tokens[back] in lex.BOUNDARIES:
            return None
        if _quantity_polarity(tokens, back) is not None:
            return back
    return None


def _forward_quantity(tokens: Sequence[str], i: int) -> int | None:
    noun_form = i > 0 and tokens[i - 1] in lex.NOUN_MARKERS
    for ahead in range(i + 1, min(len(tokens), i + _FORWARD_WINDOW + 1)):
        token = tokens[ahead]
        if token[0].isdigit() and _is_count(tokens, ahead):
            continue
        if token in _APPROXIMATORS or (token, _next(tokens, ahead)) == ("up", "to"):
            continue
        if (_previous(tokens, ahead), token) == ("up", "to"):
            continue
        if token in lex.BOUNDARIES or token in lex.FORWARD_STOPS or token[0].isdigit():
            return None
        if token in ("in", "of") and not noun_form:
            return None
        if _quantity_polarity(tokens, ahead) is not None:
            return ahead
    return None


def _previous(tokens: Sequence[str], i: int) -> str:
    return tokens[i - 1] if i > 0 else ""


def _next(tokens: Sequence[str], i: int) -> str:
    return tokens[i + 1] if i + 1 < len(tokens) else ""


# A bare count ("cut 120 jobs"), not an amount or a percentage ("rose 6 %", "EUR 5 mn").
def _is_count(tokens: Sequence[str], i: int) -> bool:
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    return not tokens[i].endswith("%") and following not in _AMOUNT_SUFFIXES


def _intensity(tokens: Sequence[str], i: int) -> float:
    factors = [
        lex.INTENSIFIERS[t]
        for j, t in enumerate(tokens[max(0, i - 2) : i + 3], start=max(0, i - 2))
        if j != i and t in lex.INTENSIFIERS
    ]
    if not factors:
        return 1.0
    return min(factors) if min(factors) < 1.0 else max(factors)


def _direction_items(tokens: Sequence[str], paired: set[int]) -> list[tuple[int, float]]:
    items: list[tuple[int, float]] = []
    for i, token in enumerate(tokens):
        evaluative = lex.EVALUATIVE.get(token)
        direction = _direction(tokens, i) if evaluative is None else 0
        if evaluative is None and direction == 0:
            continue
        target = _nearest_quantity(tokens, i)
        if target is not None:
            paired.add(target)
        if evaluative is not None:
            items.append((i, evaluative * (1.0 if target is not None else 0.6)))
            continue
        if target is None:
            if token not in lex.AMBIGUOUS_DIRECTIONS:
                items.append((i, direction * lex.STRENGTH.get(token, lex.UNPAIRED_DEFAULT)))
            continue
        polarity = _quantity_polarity(tokens, target)
        if polarity == 0:
            value = -1.0 if direction < 0 else 0.0
        else:
            value = float(direction * (polarity or 0))
        items.append((i, value * _intensity(tokens, i)))
    return items


@dataclass(frozen=True, slots=True)
class _Amount:
    index: int
    value: float
    percent: bool
    currency: str | None


def parse_number(digits: str) -> float | None:
    """Read the digits of a number token as a finite float; None when they are not a number.

    Accepted: ``12``, ``12.5`` and ``12,5`` (one separator: a decimal mark), ``1,234,567.8``
    (comma groups) and ``1.234.567,8`` (dot groups). Anything else with several separators is
    a date, a version or a code (``11.01.2008``, ``1.2.3``), never an amount.

        >>> parse_number("1,234.5"), parse_number("1.234,5"), parse_number("11.01.2008")
        (1234.5, 1234.5, None)
    """
    if _COMMA_GROUPS_RE.fullmatch(digits):
        text = digits.replace(",", "")
    elif _PLAIN_RE.fullmatch(digits):
        text = digits.replace(",", ".")
    elif _DOT_GROUPS_RE.fullmatch(digits):
        text = digits.replace(".", "").replace(",", ".")
    else:
        return None
    value = float(text)
    return value if math.isfinite(value) else None


# Parse a number token at i with its currency and multiplier; None for years and non-numbers.
def _amount(tokens: Sequence[str], i: int) -> _Amount | None:
    match = _NUMBER_RE.match(tokens[i])
    if match is None:
        return None
    digits, percent = match.groups()
    symbol = tokens[i][0] if tokens[i][0] in "$€£" else None
    previous = tokens[i - 1] if i > 0 else ""
    currency = symbol or (previous if previous in lex.CURRENCIES else None)
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    multiplier = lex.MULTIPLIERS.get(following, 1.0)
    is_percent = bool(percent) or following == "%"
    value = parse_number(digits)
    if value is None:
        return None
    is_year = (
        re.fullmatch(r"(19[89]\d|20[0-4]\d)", digits) is not None
        and currency is None
        and multiplier == 1.0
        and not is_percent
    )
    amount = value * multiplier
    if is_year or not math.isfinite(amount):
        return None
    return _Amount(i, amount, is_percent, currency)


def _find_amount(tokens: Sequence[str], start: int, stop: int) -> _Amount | None:
    for j in range(start, min(stop, len(tokens))):
        if tokens[j] in lex.BOUNDARIES:
            return None
        amount = _amount(tokens, j)
        if amount is not None:
            return amount
    return None


# Polarity of the quantity named between start and stop (default when none is); None when
# it names a different kind of quantity than ``anchor`` ("profit ... from sales of").
def _polarity_between(
    tokens: Sequence[str], start: int, stop: int, default: int, anchor: str
) -> int | None:
    polarity: int | None = default
    for j in range(start, stop):
        found = _quantity_polarity(tokens, j)
        if not found:
            continue
        same_kind = tokens[j] == anchor or {tokens[j], anchor} <= _RESULT_FAMILY
        polarity = found if same_kind else None
    return polarity


# "Profit was EUR 7.9 mn, compared with EUR 5.2 mn": the sign of the change.
def _comparison_items(tokens: Sequence[str], paired: set[int]) -> list[tuple[int, float]]:
    items: list[tuple[int, float]] = []
    consumed = -1
    for i in range(len(tokens)):
        polarity = _quantity_polarity(tokens, i)
        if not polarity or i in paired or i <= consumed:
            continue
        first = _find_amount(tokens, i + 1, i + 12)
        if first is None:
            continue
        comparator = next(
            (
                j
                for j in range(first.index + 1, min(len(tokens), first.index + 10))
                if tokens[j] in _COMPARATORS or tokens[j] in lex.BOUNDARIES
            ),
            None,
        )
        if comparator is None or tokens[comparator] in lex.BOUNDARIES:
            lead = set(tokens[max(0, i - 3) : i])
            if (
                tokens[i] in _BARE_BAD
                and first.currency is not None
                and not lead & _COMPARISON_LEAD
            ):
                items.append((i, _BARE_LOSS_WEIGHT))
                consumed = first.index
            continue
        second = _find_amount(tokens, comparator + 1, comparator + 8)
        if second is None or second.percent != first.percent:
            continue
        if first.currency and second.currency and first.currency != second.currency:
            continue
        first_sign = _polarity_between(tokens, i, first.index, polarity, tokens[i])
        second_sign = _polarity_between(
            tokens, comparator + 1, second.index, first_sign or polarity, tokens[i]
        )
        if first_sign is None or second_sign is None:
            continue
        delta = first_sign * first.value - second_sign * second.value
        scale = max(abs(first.value), abs(second.value), 1e-9)
        consumed = second.index
        if abs(delta) / scale > 0.005:
            items.append((i, 1.0 if delta > 0 else -1.0))
    return items


def _event_items(
    text: str, tokens: Sequence[str], starts: Sequence[int]
) -> list[tuple[int, float]]:
    items: list[tuple[int, float]] = []
    for pattern, weight in EVENT_PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        position = _token_index(starts, match.start())
        if weight < 0 and _is_protective(tokens, position):
            continue
        items.append((position, weight))
    return items


def _token_index(starts: Sequence[int], offset: int) -> int:
    return max(0, bisect.bisect_right(starts, offset) - 1)


# "protects against fraud", "anti-hacking": a threat named as what is being prevented.
def _is_protective(tokens: Sequence[str], position: int) -> bool:
    return any(t in lex.PROTECTIVE for t in tokens[max(0, position - 3) : position + 1])


def _is_negated(tokens: Sequence[str], position: int) -> bool:
    for j in range(position - 1, max(-1, position - _NEGATION_WINDOW - 1), -1):
        if tokens[j] in lex.BOUNDARIES or tokens[j] == ",":
            return False
        if tokens[j] in lex.NEGATORS or tokens[j].endswith(("n't", "n’t")):
            return True
    return False


def _hedge_factor(tokens: Sequence[str]) -> float:
    return min((lex.HEDGES.get(t, 1.0) for t in tokens), default=1.0)
