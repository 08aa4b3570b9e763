"""Telegram rendering is pure, escaped, split under the limit, and exact."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.contracts import (
    Direction,
    Evidence,
    OutcomeStatus,
    RunManifest,
    SignalOutcome,
)
from shared.render.telegram import (
    MAX_MESSAGE_CHARS,
    escape_markdown_v2,
    render_tracer_run,
    split_message,
)

T0 = datetime(2026, 3, 2, 14, tzinfo=UTC)


def test_escape_markdown_v2_escapes_every_reserved_character() -> None:
    assert escape_markdown_v2("a_b*c[d](e)~f`g>h#i+j-k=l|m{n}o.p!q\\r") == (
        "a\\_b\\*c\\[d\\]\\(e\\)\\~f\\`g\\>h\\#i\\+j\\-k\\=l\\|m\\{n\\}o\\.p\\!q\\\\r"
    )


def test_split_message_keeps_every_part_within_the_limit() -> None:
    lines = [escape_markdown_v2("line-with.dots " * 30) for _ in range(40)]
    parts = split_message(lines, limit=1000)
    assert len(parts) > 1
    assert all(len(p) <= 1000 for p in parts)
    assert "\n".join(parts).replace("\n", "") == "".join(lines)


def test_split_message_never_cuts_an_escape_pair() -> None:
    line = escape_markdown_v2("." * 50)  # 100 chars of "\."
    parts = split_message([line], limit=9)
    assert all(len(p) <= 9 for p in parts)
    assert all(not p.endswith("\\") or p.endswith("\\\\") for p in parts)
    assert "".join(parts) == line


def test_split_message_empty_input_yields_one_empty_part() -> None:
    assert split_message([]) == [""]


def _outcome(status: OutcomeStatus = OutcomeStatus.TRIGGERED) -> SignalOutcome:
    evidence = (Evidence(line="The narrative turned bullish while the price barely moved.",
                         numbers={"divergence": 0.8}),
                Evidence(line="Volume is running above its usual level.",
                         numbers={"participation": 1.5}))
    return SignalOutcome(
        symbol="BTC-USD", as_of=T0, status=status, direction=Direction.UP, p_up=0.8,
        strength=0.6, confidence="high", divergence=0.8, rank_score=1.3,
        evidence=evidence, evidence_lines=tuple(e.line for e in evidence),
    )


def test_render_tracer_run_trigger_exact_text() -> None:
    manifest = RunManifest(
        run_id="0123456789abcdef", stage="tracer", as_of=T0, seed=1, feed="synthetic",
        git_sha="x", code_version="0", config_digest="0123456789abcdef",
        inputs_digest="0123456789abcdef", degraded=True, degraded_reasons=("DATA_STALE",),
    )
    parts = render_tracer_run(run_id="0123456789abcdef", outcome=_outcome(), manifest=manifest,
                              horizon_hours=12)
    assert parts == [
        "*Tracer Bullet* BTC\\-USD\n"
        "⬆️ *BTC\\-USD* up over 12h, high confidence \\(p up 0\\.80\\); no size; "
        "decided 2026\\-03\\-02 14:00 UTC\n"
        "• The narrative turned bullish while the price barely moved\\.\n"
        "• Volume is running above its usual level\\.\n"
        "⚠️ degraded: DATA\\_STALE\n"
        "\\(synthetic feed: says nothing about live markets\\)\n"
        "trace `0123456789abcdef`"
    ]
    assert len(parts[0]) <= MAX_MESSAGE_CHARS


def test_render_suppressed_outcome_is_one_line_without_evidence() -> None:
    manifest = RunManifest(
        run_id="0123456789abcdef", stage="tracer", as_of=T0, seed=1, feed="replay",
        git_sha="x", code_version="0", config_digest="0123456789abcdef",
        inputs_digest="0123456789abcdef", degraded=False,
    )
    outcome = _outcome(OutcomeStatus.SUPPRESSED).model_copy(
        update={"reason_codes": ("SIGNAL_ALREADY_ACTIVE",)})
    parts = render_tracer_run(run_id="0123456789abcdef", outcome=outcome, manifest=manifest)
    assert parts == [
        "*Tracer Bullet* BTC\\-USD\n"
        "⏸ *BTC\\-USD* no new call \\(the same call was already active at the previous "
        "poll\\)\n"
        "trace `0123456789abcdef`"
    ]


def test_plain_text_undoes_markdown_v2_for_the_terminal() -> None:
    from shared.render.telegram import escape_markdown_v2, plain_text

    assert plain_text("*Tracer Bullet* BTC\\-USD\ntrace `ab12`") == \
        "Tracer Bullet BTC-USD\ntrace ab12"
    text = "p(up) = 0.62 * [a_b] {c} ~ > # + - | ! \\ `x`"
    assert plain_text(escape_markdown_v2(text)) == text


def test_call_line_for_a_down_call_gives_the_probability_of_down() -> None:
    from shared.render.telegram import call_line

    outcome = _outcome().model_copy(update={"direction": Direction.DOWN, "p_up": 0.3,
                                            "target_size": 0.25})
    assert call_line(outcome, 24) == ("down over 24h, high confidence (p down 0.70); "
                                      "size 0.25; decided 2026-03-02 14:00 UTC")
