"""Fuzz targets: each parser or scorer with its input strategy and the errors it may raise.

A target's ``call`` gets one drawn input and a scratch folder. It may return anything or
raise a :class:`~shared.errors.PipelineError` (the drawn tree); any other exception is a
finding. ``tests/test_fuzz.py`` runs every target a few hundred times per test run;
``bench/fuzz/run.py`` runs them by the hundred thousand and prints what it found.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from functions.sentiment.score import decode_lines, score_lines
from shared.contracts.universe import UniverseRun
from shared.errors import PipelineError
from tests.helpers.fuzz import any_text, headlines, iso_times, stdin_bytes

__all__ = ["TARGETS", "Target", "expected_lines"]


@dataclass(frozen=True)
class Target:
    """One parser under fuzz: its name, input strategy and call."""

    name: str
    strategy: st.SearchStrategy[Any]
    call: Callable[[Any, Path], object]


@cache
def _scorer() -> Any:
    from shared.sentiment.offline import OfflineScorer

    return OfflineScorer()


def _score(text: str, _: Path) -> object:
    (score,) = _scorer().score([text])
    assert -1.0 <= score.polarity <= 1.0
    return score


def expected_lines(data: bytes) -> int:
    """How many lines ``tb sentiment score`` must answer for ``data``: one per ``\\n``,
    plus an unterminated last line."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _sentiment_stdin(data: bytes, _: Path) -> object:
    import io

    records = list(score_lines(_scorer(), decode_lines(io.BytesIO(data))))
    assert len(records) == expected_lines(data), (len(records), expected_lines(data))
    for record in records:
        json.dumps(record, allow_nan=False).encode("utf-8")
    return records


# -- news parsing (Perplexity answers; parsing only, no HTTP) -------------------------------

_NOW = datetime(2024, 3, 5, 12, tzinfo=UTC)


def _news_items() -> st.SearchStrategy[Any]:
    item = st.fixed_dictionaries(
        {},
        optional={
            "headline": st.one_of(headlines(long_lines=False), st.integers(), st.none()),
            "source": st.one_of(any_text, st.none()),
            "url": st.one_of(any_text, st.none()),
            "published_at": st.one_of(iso_times, st.integers(), st.none()),
            "symbols": st.one_of(st.lists(st.sampled_from(["AAPL", "BTC-USD", "aapl", "", "ß"])
                                          | any_text), any_text),
            "summary": st.one_of(any_text, st.none()),
        },
    )
    content = st.one_of(
        st.builds(lambda items: json.dumps({"items": items}), st.lists(item, max_size=5)),
        st.builds(lambda think, items: f"<think>{think}</think>" + json.dumps({"items": items}),
                  any_text, st.lists(item, max_size=3)),
        any_text,
    )
    return st.fixed_dictionaries(
        {"choices": st.lists(st.fixed_dictionaries(
            {"message": st.fixed_dictionaries({"content": content}),
             "finish_reason": st.sampled_from(["stop", "length", None])}),
            min_size=0, max_size=2)},
        optional={"citations": st.lists(any_text, max_size=3)},
    )


def _news(data: Any, _: Path) -> object:
    from shared.providers.perplexity import PerplexityNews, parse_published_at

    client = PerplexityNews(api_key="pplx-FUZZ", now=lambda: _NOW)
    items, citations = client._parse(data)
    out = []
    for raw in items:
        if isinstance(raw, dict):
            out.append(client._narrative(raw, {"AAPL", "BTC-USD"}, _NOW - timedelta(days=2),
                                         _NOW, citations))
    for raw in items:
        if isinstance(raw, dict) and isinstance(raw.get("published_at"), str):
            parse_published_at(raw["published_at"])
    return out


def _published_at(text: str, _: Path) -> object:
    from shared.providers.perplexity import parse_published_at, strip_think

    strip_think(text)
    parsed = parse_published_at(text)
    assert parsed is None or parsed.tzinfo is not None
    return parsed


# -- files: dataset loaders, config, CSV readers ----------------------------------------------

_CSV_HEADERS = [
    "start,end,open,high,low,close,volume",
    "timestamp,open,high,low,close,volume",
    "Date,Open,High,Low,Close,Adj Close,Volume",
    "https://www.CryptoDataDownload.com\nunix,date,symbol,open,high,low,close,Volume BTC,"
    "Volume USDT",
    "date;sourceid;title;url;source;subject;text",
    "date;source;subject;text;title;url",
    "narrative_id,headline,source,url,symbols,published_at,fetched_at,summary",
    "p,y,cohort,baseline",
    "",
]
_CELL = st.one_of(st.sampled_from(["1", "0", "0.5", "-1", "nan", "inf", "", "null", "1e400",
                                   "2024-01-01", "2024-01-01T00:00:00Z", "1704067200",
                                   "1704067200000", "01-01-2024 10:00", "bitcoin", '"', "|"]),
                  any_text.map(lambda t: t[:12]))


@st.composite
def _csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from(_CSV_HEADERS))
    sep = ";" if ";" in header else ","
    width = header.split("\n")[-1].count(sep) + 1
    rows = draw(st.lists(st.lists(_CELL, min_size=max(0, width - 2), max_size=width + 1),
                         max_size=6))
    text = "\n".join([header, *(sep.join(row) for row in rows)])
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data += draw(st.binary(max_size=20))
    return data


def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _bars_loader(data: bytes, folder: Path) -> object:
    from shared.contracts import Timeframe
    from shared.providers.dataset_loaders import load_bars_file

    return load_bars_file(_file(folder, "bars.csv", data), timeframe=Timeframe.HOUR)


def _news_loader(data: bytes, folder: Path) -> object:
    from shared.providers.dataset import load_news_file

    for name in ("news.csv", "news.jsonl"):
        load_news_file(_file(folder, name, data))
    return None


def _jsonl_files() -> st.SearchStrategy[bytes]:
    record = st.fixed_dictionaries({}, optional={
        "narrative_id": any_text, "headline": any_text, "source": any_text,
        "symbols": st.lists(any_text, max_size=2), "published_at": iso_times,
        "fetched_at": iso_times, "url": any_text})
    return st.one_of(
        st.lists(record, max_size=3).map(
            lambda rows: "\n".join(json.dumps(r) for r in rows).encode("utf-8", "surrogatepass")),
        st.binary(max_size=200),
    )


def _forecast_csv(data: bytes, _: Path) -> object:
    from shared.evaluation.forecast_csv import read_forecasts

    text = data.decode("utf-8", errors="replace")
    return read_forecasts(text.splitlines(keepends=True))


def _csv_rows(data: bytes, folder: Path) -> object:
    from shared.store.csvfile import read_rows

    return read_rows(_file(folder, "table.csv", data))


_YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), any_text)
_YAML_VALUES = st.recursive(
    _YAML_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(any_text, st.integers()), inner,
                                            max_size=4)),
    max_leaves=20,
)


def _yaml_text(value: object) -> str:
    try:
        return yaml.safe_dump(value, allow_unicode=True)
    except yaml.YAMLError:
        return "{}"


@st.composite
def _yaml_files(draw: st.DrawFn) -> bytes:
    text = draw(st.one_of(
        _YAML_VALUES.map(_yaml_text),
        any_text,
        st.sampled_from([
            "a: &a [1, 2]\nb: [*a, *a, *a]\n",
            "a: 1\na: 2\n",
            "a: *missing\n",
            "? [1, 2]\n: 3\n",
            "a: !!python/object:os.system x\n",
            "history_hours: 1e400\n",
            "symbol: " + "A" * 5000 + "\n",
            "[" * 200 + "]" * 200,
            "- " * 300 + "x\n",
            "a: &x {b: *x}\n",
            "<<: {a: 1}\n",
            "a:\n  <<: [*b]\n",
        ]),
        st.lists(st.sampled_from(["a:", " b: &c 1", "- *c", "  - [", "{x: 1}", "---", "...",
                                  "%YAML 1.1", "!!binary |", "  aGVsbG8=", "'q", "\t"]),
                 max_size=8).map("\n".join),
    ))
    return text.encode("utf-8", "surrogatepass") + draw(st.sampled_from([b"", b"\xff", b"\x00"]))


def _config(data: bytes, folder: Path) -> object:
    from shared.config import load_yaml_model
    from shared.pipeline.settings import TracerConfig
    from shared.universe.config import UniverseConfig, load_universe_config

    path = _file(folder, "config.yaml", data)
    for model in (TracerConfig, UniverseConfig):
        try:
            load_yaml_model(path, model)
        except PipelineError:
            pass
    return load_universe_config(path)


def _risk_config(data: bytes, folder: Path) -> object:
    from shared.execution.risk import load_risk_config

    return load_risk_config(_file(folder, "risk.yaml", data))


def _paper_ledger(data: bytes, folder: Path) -> object:
    # a committed paper ledger that is corrupt: the risk state, the fills, the orders
    from shared.execution.ledger import read_jsonl, reconcile
    from shared.execution.risk import load_state

    for name in ("risk_state.json", "fills.jsonl", "orders.jsonl"):
        _file(folder, name, data)
    read_jsonl(folder / "orders.jsonl")
    reconcile(folder, 1_000.0, 1_000.0, {})
    return load_state(folder)


# -- renderers ------------------------------------------------------------------------------


@cache
def _universe_run() -> UniverseRun:
    from tests.shared.universe.test_digest import _run

    return _run()


def _render_text(lines: list[str], _: Path) -> object:
    from shared.render.telegram import MAX_MESSAGE_CHARS, escape_markdown_v2, split_message

    escaped = [escape_markdown_v2(line) for line in lines]
    parts = split_message(escaped)
    assert all(len(part) <= MAX_MESSAGE_CHARS for part in parts)
    return parts


def _render_universe(texts: list[str], _: Path) -> object:
    from shared.render.telegram import MAX_MESSAGE_CHARS
    from shared.universe.digest import render_step_summary, render_universe_digest

    run = _universe_run()
    records = []
    for index, record in enumerate(run.symbols):
        text = texts[index % len(texts)]
        outcome = record.outcome
        if outcome is not None:
            outcome = outcome.model_copy(update={"evidence_lines": (text, text[::-1])})
        records.append(record.model_copy(update={"name": text[:64] or "x", "outcome": outcome}))
    fuzzed = run.model_copy(update={"symbols": tuple(records)})
    parts = render_universe_digest(fuzzed)
    assert all(len(part) <= MAX_MESSAGE_CHARS for part in parts)
    return render_step_summary(fuzzed)


TARGETS: tuple[Target, ...] = (
    Target("offline_scorer", headlines(), _score),
    Target("sentiment_stdin", stdin_bytes(), _sentiment_stdin),
    Target("news_parse", _news_items(), _news),
    Target("news_published_at", iso_times, _published_at),
    Target("bars_loader", _csv_files(), _bars_loader),
    Target("news_loader", st.one_of(_csv_files(), _jsonl_files()), _news_loader),
    Target("config_loader", _yaml_files(), _config),
    Target("risk_config", _yaml_files(), _risk_config),
    Target("paper_ledger", st.one_of(_jsonl_files(), st.binary(max_size=200)), _paper_ledger),
    Target("forecast_csv", _csv_files(), _forecast_csv),
    Target("store_csv_read", _csv_files(), _csv_rows),
    Target("render_telegram", st.lists(st.one_of(any_text, headlines()), min_size=1,
                                       max_size=30), _render_text),
    Target("render_universe", st.lists(any_text, min_size=1, max_size=4), _render_universe),
)
