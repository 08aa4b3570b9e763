"""Polymarket comparisons recorded by universe runs: resolved from Gamma (through the client),
then scored in the daily snapshot against the market price at decision time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import responses
from click.testing import CliRunner

from functions.cli import cli
from functions.eval.resolvers import gamma_lookup
from functions.eval.sources import universe_market_claims
from functions.eval.stages import run_ingest, run_snapshot
from shared.evaluation.records import MarketClaim
from shared.evaluation.resolve import ResolverRegistry
from shared.providers.polymarket import PolymarketClient
from tests.helpers.eval_fixtures import FrameFeed
from tests.helpers.provider_contract import TEST_POLICY

GAMMA = "https://gamma.example.test"
DECIDED = datetime(2026, 3, 2, 15, tzinfo=UTC)
CLOSE = DECIDED + timedelta(days=3)


def _market(market_id: str, prices: tuple[str, str] | None) -> dict[str, object]:
    return {"id": market_id, "question": f"Will {market_id} happen?",
            "closed": prices is not None, "closedTime": None if prices is None else
            "2026-03-05T15:00:00Z", "outcomes": json.dumps(["Yes", "No"]),
            "outcomePrices": json.dumps(list(prices or ("0.4", "0.6")))}


def _claims(n: int) -> list[MarketClaim]:
    rng = np.random.default_rng(3)
    return [MarketClaim(market_id=str(1000 + k), run_id="0123456789abcdef", decided_at=DECIDED,
                        p=float(rng.uniform(0.05, 0.95)), market_p=0.5,
                        market_price_at=DECIDED - timedelta(minutes=5), bot="polymarket_compare",
                        bot_version="1", end_date=CLOSE - timedelta(hours=1))
            for k in range(n)]


def test_gamma_resolves_due_comparisons_and_the_daily_snapshot_scores_them(
    tmp_path: Path,
) -> None:
    claims = _claims(60)
    markets = [_market(c.market_id, ("1", "0") if c.p > 0.5 else ("0", "1")) for c in claims]
    markets[0] = _market(claims[0].market_id, None)  # still open
    client = PolymarketClient(gamma_url=GAMMA, policy=TEST_POLICY, sleep=lambda _s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        mocked.get(f"{GAMMA}/markets", json=markets[:50])
        mocked.get(f"{GAMMA}/markets", json=markets[50:])
        early = run_ingest(tmp_path, as_of=DECIDED + timedelta(days=1),
                           resolvers=ResolverRegistry(), market_claims=claims,
                           gamma=gamma_lookup(client))
        assert len(mocked.calls) == 0  # nothing due yet: Gamma is not asked
        summary = run_ingest(tmp_path, as_of=CLOSE, resolvers=ResolverRegistry(),
                             market_claims=claims, gamma=gamma_lookup(client))
        assert len(mocked.calls) == 2  # 60 ids in batches of 50
        assert "id=1000" in (mocked.calls[0].request.url or "")
    assert early["not_due"] == 60
    assert summary["resolved_new"] == 59
    assert summary["unresolved_reasons"] == {"market_open": 1}
    _, snapshot = run_snapshot(tmp_path, as_of=CLOSE, kind="daily", n_resamples=200)
    section = snapshot.metrics.polymarket
    assert section is not None and section.n == 59
    assert section.brier_market == 0.25  # the market said 0.5 every time
    assert section.brier is not None and section.brier < 0.25  # ours called every side right
    lo, hi = section.ci["brier_skill_vs_market"] or (None, None)
    assert lo is not None and hi is not None and lo <= section.brier_skill_vs_market <= hi
    assert snapshot.metrics.verdict_polymarket is not None
    assert "n = 59" in snapshot.metrics.verdict_polymarket


def test_gamma_failure_leaves_claims_unresolved_for_next_time(tmp_path: Path) -> None:
    claims = _claims(3)
    client = PolymarketClient(gamma_url=GAMMA, policy=TEST_POLICY, sleep=lambda _s: None)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        mocked.get(f"{GAMMA}/markets", status=503)
        summary = run_ingest(tmp_path, as_of=CLOSE, resolvers=ResolverRegistry(),
                             market_claims=claims, gamma=gamma_lookup(client))
    assert summary["resolved_new"] == 0
    assert summary["unresolved_reasons"] == {"no_resolution_record": 3}


def test_live_universe_comparisons_become_market_claims(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parents[2] / "fixtures" / "polymarket_universe"
    result = CliRunner().invoke(cli, ["universe", "run", "--seed", "7", "--as-of",
                                      "2026-03-02T15:00:00Z", "--artifacts-dir", str(tmp_path),
                                      "--no-notify", "--polymarket-fixture", str(fixture)])
    assert result.exit_code == 0, result.output
    (path,) = sorted(tmp_path.glob("universe_runs/2026-03-02/*.json"))
    assert universe_market_claims(tmp_path) == []  # fixture comparisons are not claims
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["polymarket"]["source"] = "live"
    record = doc["symbols"][0]
    record["polymarket"] = {"discovered": 1, "excluded": {}, "comparisons": [{
        "symbol": record["symbol"], "as_of": "2026-03-02T15:00:00Z", "market_id": "777",
        "question": "Will it?", "slug": None, "kind": "above", "strike_usd": 100.0,
        "end_date": "2026-03-05T00:00:00Z", "model_hours": 57.0, "spot_usd": 99.0,
        "vol_hourly": 0.01, "narrative_score": None, "internal_prob": 0.42,
        "market_prob": 0.47, "market_price_source": "prices_history",
        "market_price_at": "2026-03-02T14:55:00Z", "liquidity_usd": 5000.0,
        "volume_usd": 9000.0}]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    (claim,) = universe_market_claims(tmp_path)
    assert (claim.market_id, claim.p, claim.market_p) == ("777", 0.42, 0.47)
    assert claim.end_date == datetime(2026, 3, 5, tzinfo=UTC)
    # Unresolvable without Gamma records, and never on a bar feed.
    summary = run_ingest(tmp_path, as_of=datetime(2026, 3, 6, tzinfo=UTC),
                         resolvers=ResolverRegistry.only("synthetic", FrameFeed({})))
    assert summary["unresolved_reasons"].get("no_resolution_record") == 1
