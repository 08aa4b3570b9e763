"""Contracts refuse what they should, and schemas/ is what the models generate."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.contracts import (
    Authority,
    Bar,
    Decision,
    EnvelopeStatus,
    Evidence,
    Forecast,
    Mode,
    Narrative,
    ReportEnvelope,
    RunManifest,
    Timeframe,
    canonical_json,
)
from shared.schemas.export import render_schemas

T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]


def _bar(**over: object) -> Bar:
    fields: dict[str, object] = dict(
        symbol="BTC-USD", timeframe=Timeframe.HOUR, start=T0, end=T0 + timedelta(hours=1),
        open=10.0, high=11.0, low=9.0, close=10.5, volume=3.0,
    )
    fields.update(over)
    return Bar(**fields)  # type: ignore[arg-type]


def _envelope(**over: object) -> ReportEnvelope:
    fields: dict[str, object] = dict(
        bot="divergence", bot_version="1.0.0", authority=Authority.ADVISE, mode=Mode.ADVISORY,
        symbol="BTC-USD", as_of=T0, status=EnvelopeStatus.OK, decision=Decision.TRIGGER,
        effective=True, reason_codes=("DIV_TRIGGER",), rationale="ok",
        config_version="0123456789abcdef", inputs_digest="0123456789abcdef",
    )
    fields.update(over)
    return ReportEnvelope(**fields)  # type: ignore[arg-type]


def test_bar_high_below_close_is_rejected() -> None:
    with pytest.raises(ValidationError, match="high"):
        _bar(high=10.2)


def test_bar_naive_datetime_is_rejected() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        _bar(start=datetime(2026, 3, 2, 14))  # noqa: DTZ001 - the point of the test


def test_bar_non_utc_offset_is_normalised_to_utc() -> None:
    tz = datetime(2026, 3, 2, 16, tzinfo=UTC).astimezone().tzinfo
    bar = _bar(start=T0.astimezone(tz))
    assert bar.start.utcoffset() == timedelta(0)
    assert bar.model_dump(mode="json")["start"] == "2026-03-02T14:00:00Z"


def test_an_offset_time_before_the_first_utc_instant_is_a_validation_error() -> None:
    # found by the news-loader fuzz target: 0001-01-01T00:00:00+00:01 is before datetime.min
    # once converted to UTC; it must be a clear validation error, never an OverflowError
    with pytest.raises(ValidationError, match="out of range in UTC"):
        Bar.model_validate_json(json.dumps({**_bar().model_dump(mode="json"),
                                            "start": "0001-01-01T00:00:00+00:01"}))


def test_bar_nan_price_is_rejected() -> None:
    with pytest.raises(ValidationError):
        _bar(close=float("nan"))


def test_narrative_fetched_before_published_is_rejected() -> None:
    with pytest.raises(ValidationError, match="fetched_at"):
        Narrative(narrative_id="n1", headline="h", source="s", symbols=("BTC-USD",),
                  published_at=T0, fetched_at=T0 - timedelta(minutes=1))


def test_forecast_direction_must_match_probability() -> None:
    with pytest.raises(ValidationError, match="direction"):
        Forecast(symbol="X", as_of=T0, horizon_hours=12, p_up=0.4, direction="up",  # type: ignore[arg-type]
                 strength=0.2, bot="b", bot_version="1")


def test_forecast_probability_outside_unit_interval_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Forecast(symbol="X", as_of=T0, horizon_hours=12, p_up=1.2, direction="up",  # type: ignore[arg-type]
                 strength=0.2, bot="b", bot_version="1")


def test_envelope_evidence_line_with_digits_is_rejected() -> None:
    with pytest.raises(ValidationError):
        Evidence(line="price rose 3%", numbers={"x": 1.0})


def test_envelope_failed_status_with_trigger_is_rejected() -> None:
    with pytest.raises(ValidationError, match="failed"):
        _envelope(status=EnvelopeStatus.FAILED)


def test_envelope_effective_beyond_authority_is_rejected() -> None:
    with pytest.raises(ValidationError, match="authority"):
        _envelope(authority=Authority.OBSERVE)


def test_envelope_evidence_lines_must_mirror_evidence() -> None:
    item = Evidence(line="The narrative is bullish.", numbers={"narrative_score": 0.7})
    with pytest.raises(ValidationError, match="evidence_lines"):
        _envelope(evidence=(item,), evidence_lines=("something else",))
    assert _envelope(evidence=(item,), evidence_lines=(item.line,)).evidence_lines == (item.line,)


def test_envelope_unknown_field_is_rejected() -> None:
    data = _envelope().model_dump(mode="json") | {"surprise": 1}
    with pytest.raises(ValidationError, match="surprise"):
        ReportEnvelope.model_validate_json(canonical_json(data))


def test_manifest_degraded_flag_must_match_reasons() -> None:
    fields: dict[str, object] = dict(
        run_id="0123456789abcdef", stage="tracer", as_of=T0, seed=1, feed="synthetic",
        git_sha="unknown", code_version="0", config_digest="0123456789abcdef",
        inputs_digest="0123456789abcdef", degraded=True,
    )
    with pytest.raises(ValidationError, match="degraded"):
        RunManifest(**fields)  # type: ignore[arg-type]


def test_canonical_json_is_sorted_indented_and_newline_terminated() -> None:
    text = canonical_json({"b": 1, "a": T0})
    assert text == '{\n  "a": "2026-03-02T14:00:00Z",\n  "b": 1\n}\n'


_JSON_SCALARS = (st.none() | st.booleans() | st.integers()
                 | st.floats(allow_nan=False, allow_infinity=False) | st.text())


@settings(max_examples=400, deadline=None)
@given(st.recursive(_JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(), inner, max_size=5), max_leaves=25))
def test_canonical_json_is_the_standard_encoders_bytes(value: object) -> None:
    # canonical_json builds the text itself (the stdlib's indenting encoder is pure Python
    # and slow); every digest depends on these bytes being json.dumps's.
    assert canonical_json(value) == json.dumps(value, sort_keys=True, indent=2,
                                               ensure_ascii=False, allow_nan=False) + "\n"


def test_canonical_json_refuses_what_json_refuses() -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        canonical_json({"a": [1.0, float("nan")]})


def test_schemas_directory_matches_generated_schemas() -> None:
    rendered = render_schemas()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "schemas").glob("*.json")}
    assert on_disk == rendered, "schemas/ drifted: run python -m shared.schemas.export"
