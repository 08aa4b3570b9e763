"""Provider tests: every ``requests`` call is intercepted unless it goes to 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import responses

from tests.helpers.provider_contract import FakeSleep


@pytest.fixture(autouse=True)
def mocked_responses() -> Iterator[responses.RequestsMock]:
    """Activate ``responses``: an unregistered request fails; loopback servers pass through."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        rsps.add_passthru(re.compile(r"http://127\.0\.0\.1:\d+/"))
        yield rsps


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()
