"""Hypothesis strategies for fuzzing parsers and scorers (used by the tests and bench/fuzz).

Inputs are hostile on purpose: any Unicode (lone surrogates and control characters too),
number shapes that look like amounts but are dates, versions or huge (``11.01.2008``,
``1.2.3.4``, 400 nines), non-ASCII digits, finance words in random order, very long lines
and bytes that are not UTF-8.
"""

from __future__ import annotations

from hypothesis import strategies as st

from shared.sentiment import _finance_lexicon as lex

__all__ = [
    "any_text",
    "finance_soup",
    "headlines",
    "iso_times",
    "number_tokens",
    "stdin_bytes",
]

# Every code point, surrogates included (``json.loads`` can produce them).
any_text = st.text(st.characters(exclude_categories=()), max_size=200)

_CONTROL = st.sampled_from(["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x85", "\u2028", "\r",
                            "\t", "\ufeff", "\u200b", "\ufffd"])
_DIGITS = st.text(st.sampled_from("0123456789"), min_size=1, max_size=6)
# Decimal digits of other scripts: regex \d and float() both read them.
_EXOTIC_DIGITS = st.text(st.sampled_from("٠١٢٣٤٥٦٧٨٩०१२३४५६७८९𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗"), min_size=1,
                         max_size=6)


@st.composite
def number_tokens(draw: st.DrawFn) -> str:
    """One number-like token: plain, grouped, dotted dates, versions, huge, exotic."""
    body = draw(
        st.one_of(
            _DIGITS,
            _EXOTIC_DIGITS,
            st.lists(_DIGITS, min_size=2, max_size=5).map(".".join),
            st.lists(_DIGITS, min_size=2, max_size=5).map(",".join),
            st.tuples(_DIGITS, st.sampled_from(".,"), _DIGITS, st.sampled_from(".,"),
                      _DIGITS).map("".join),
            st.builds(lambda d, m, y, sep: f"{d}{sep}{m}{sep}{y}",
                      st.integers(0, 39), st.integers(0, 19), st.integers(0, 99999),
                      st.sampled_from("./-")),
            st.integers(300, 5000).map(lambda n: "9" * n),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
        )
    )
    prefix = draw(st.sampled_from(["", "", "$", "€", "£", "-", "+"]))
    suffix = draw(st.sampled_from(["", "", "%", " %", " mn", " bn", " percent"]))
    return f"{prefix}{body}{suffix}"


_WORDS = sorted(
    {*lex.UP_WORDS, *lex.DOWN_WORDS, *lex.QUANTITIES, *lex.CURRENCIES, *lex.MULTIPLIERS,
     *lex.NEGATORS, *lex.HEDGES, *lex.BOUNDARIES, "despite", "in", "spite", "from", "to",
     "compared", "with", "versus", "vs", "(", ")", "up", "down", "record", "share",
     "repurchase", "but", "not", "n't", "never", "loss", "of", "per", "the", ",", ".", ";"}
)


@st.composite
def finance_soup(draw: st.DrawFn) -> str:
    """Finance words, numbers and control characters in random order and case."""
    parts = draw(st.lists(st.one_of(st.sampled_from(_WORDS), number_tokens(), _CONTROL,
                                    any_text.map(lambda t: t[:8])), max_size=40))
    separator = draw(st.sampled_from([" ", "", "  ", "\t", "-", "\x00"]))
    text = separator.join(parts)
    return text.upper() if draw(st.booleans()) else text


def headlines(*, long_lines: bool = True) -> st.SearchStrategy[str]:
    """A headline to score: arbitrary text, finance soup, or (optionally) a very long line."""
    options = [any_text, finance_soup(), finance_soup(), st.just("SHARE REPURCHASE 11.01.2008")]
    if long_lines:
        options.append(
            st.builds(lambda unit, n: unit * n, st.one_of(finance_soup(), any_text),
                      st.integers(50, 400))
        )
    return st.one_of(*options)


@st.composite
def stdin_bytes(draw: st.DrawFn) -> bytes:
    """What a pipe may hold: encoded headlines with any line endings, a BOM, stray bytes."""
    lines = draw(st.lists(st.one_of(headlines(long_lines=False).map(
        lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=60)), max_size=12))
    endings = draw(st.lists(st.sampled_from([b"\n", b"\r\n", b"\r", b""]),
                            min_size=len(lines), max_size=len(lines)))
    data = b"".join(line + end for line, end in zip(lines, endings, strict=True))
    return (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + data


# Times as the wire writes them, and as it should not.
iso_times = st.one_of(
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(lambda d: d.isoformat()),
    st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
                     "0001-01-01", "9999-12-31", "2024-02-30", "2024-01-01T25:00:00Z",
                     "11.01.2008", "2024-01-01TZ", "Z", "", " ", "+00:00"]),
    any_text,
)
