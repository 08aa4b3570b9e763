"""Every bot passes its fixture pack and reproduces its recorded envelope timeline."""

from __future__ import annotations

import pytest

from shared.bots.fixtures import FIXTURE_KINDS, load_fixtures, run_fixture
from shared.bots.registry import BOTS, BotEntry
from shared.contracts import Decision, ReportEnvelope
from shared.reason_codes import default_registry


@pytest.mark.parametrize("name", sorted(BOTS))
def test_bot_fixture_pack_covers_every_kind(name: str) -> None:
    kinds = {f.kind for f in load_fixtures(BOTS[name])}
    assert kinds == set(FIXTURE_KINDS)


@pytest.mark.parametrize(
    ("name", "kind"), [(name, kind) for name in sorted(BOTS) for kind in FIXTURE_KINDS]
)
def test_bot_fixture_gives_expected_envelope(name: str, kind: str) -> None:
    entry: BotEntry = BOTS[name]
    (fixture,) = [f for f in load_fixtures(entry) if f.kind == kind]
    envelope = run_fixture(entry, fixture, default_registry())
    expected = fixture.expected
    assert envelope.status.value == expected["status"], fixture.description
    assert envelope.decision.value == expected["decision"], fixture.description
    assert list(envelope.reason_codes) == expected["reason_codes"], fixture.description
    if "direction" in expected:
        assert envelope.forecast is not None
        assert envelope.forecast.direction.value == expected["direction"]
    if kind == "failure":
        assert envelope.decision is not Decision.TRIGGER
        assert envelope.effective is False


@pytest.mark.parametrize("name", sorted(BOTS))
def test_bot_recorded_timeline_is_reproduced(name: str) -> None:
    from shared.pipeline.timeline import envelope_line, record_timeline

    entry = BOTS[name]
    recorded = entry.timeline_path.read_text(encoding="utf-8").splitlines()
    assert recorded, f"{entry.timeline_path} is empty: run tb bots record-timeline {name}"
    fresh = [envelope_line(e) for e in record_timeline(name)]
    # compare decoded envelopes for readable diffs, and bytes for exactness
    assert [ReportEnvelope.model_validate_json(line) for line in recorded] == [
        ReportEnvelope.model_validate_json(line) for line in fresh
    ]
    assert recorded == fresh
