"""The Wilson score interval of a hit rate: the textbook values, and an interval that always
holds the observed rate inside [0, 1] and narrows as the sample grows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.evaluation import wilson_interval


def test_wilson_matches_the_textbook_values() -> None:
    # Wilson (1927) / Newcombe (1998): 8 of 10 at 95 % is about [0.490, 0.943]
    interval = wilson_interval(8, 10)
    assert interval is not None
    assert (interval.lo, interval.hi) == pytest.approx((0.4901625, 0.9433178), abs=1e-6)
    assert interval.level == 0.95
    wide = wilson_interval(8, 10, level=0.99)
    assert wide is not None and wide.lo < interval.lo and wide.hi > interval.hi


def test_wilson_ends_are_exact_and_empty_samples_have_none() -> None:
    assert wilson_interval(0, 0) is None
    none_hit, all_hit = wilson_interval(0, 25), wilson_interval(25, 25)
    assert none_hit is not None and none_hit.lo == 0.0 and 0.0 < none_hit.hi < 0.2
    assert all_hit is not None and all_hit.hi == 1.0 and 0.8 < all_hit.lo < 1.0
    with pytest.raises(ValueError, match="0 <= hits <= n"):
        wilson_interval(3, 2)


@given(st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))))
def test_wilson_holds_the_rate_and_narrows_with_more_data(case: tuple[int, int]) -> None:
    hits, n = case
    interval = wilson_interval(hits, n)
    assert interval is not None
    assert 0.0 <= interval.lo <= hits / n <= interval.hi <= 1.0
    bigger = wilson_interval(4 * hits, 4 * n)
    assert bigger is not None
    assert bigger.hi - bigger.lo < interval.hi - interval.lo
