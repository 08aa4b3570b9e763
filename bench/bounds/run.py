"""Measure the time and size bounds of issue 11 against loopback stand-ins; print a table.

Run from the repository root (``--src`` measures another checkout of the code, e.g. the
commit before the bounds, with this one's test helpers)::

    .venv/bin/python -m bench.bounds.run slow              # tb run / tb universe run --live,
                                                           # every service 1 byte per second
    .venv/bin/python -m bench.bounds.run big               # a 50 MB (and a 6 MB) news answer
    .venv/bin/python -m bench.bounds.run validate          # tb validate on a 1 GB run file
    .venv/bin/python -m bench.bounds.run all --src /tmp/old-checkout --cap-secs 300

``slow``: every service (Alpaca, Perplexity, Hugging Face, Telegram, Polymarket) answers
each request one byte per second, status line and headers included, with the production
HTTP settings (no ``TB_HTTP_*`` shortening); a command still running after ``--cap-secs``
is killed and reported as such. ``big``: healthy stand-ins, except that Perplexity's answer
carries a padding field that makes it 50 MB (6 MB); reports the largest artifact written.
``validate``: a 1 GB ``run_inputs`` file under ``runs/``; peak RSS from ``/usr/bin/time -v``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.helpers.live_servers import SECRETS, LiveServices, _news
from tests.helpers.loopback import RecordedRequest, Reply
from tests.helpers.trickle import TrickleServer, http_reply

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[2]
MB = 1_000_000


def _hour(offset: int) -> str:
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (now + timedelta(hours=offset)).isoformat().replace("+00:00", "Z")


def _env(src: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TB_", "APCA_", "PPLX_", "HF_", "TELEGRAM_", "POLYMARKET_"))}
    env.update(extra)
    env["PYTHONPATH"] = str(src)
    return env


def _tb(src: Path, args: list[str], env: dict[str, str], cap_secs: float,
        timed: bool = False) -> tuple[float, int | None, str]:
    cmd = [sys.executable, "-c", "from functions.cli import main; main()", *args]
    if timed:
        cmd = ["/usr/bin/time", "-v", *cmd]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, env=_env(src, env), cwd=src, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        _, err = proc.communicate(timeout=cap_secs)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return time.monotonic() - started, None, ""
    return time.monotonic() - started, proc.returncode, err


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


@contextlib.contextmanager
def _trickle_env(cache: Path) -> Iterator[dict[str, str]]:
    body = json.dumps({"bars": {}, "next_page_token": None, "padding": "x" * 4000}).encode()
    with TrickleServer(http_reply(body), interval_secs=1.0) as server:
        url = server.url
        yield {**SECRETS, "TB_CACHE_DIR": str(cache),
               "APCA_API_DATA_URL": url, "APCA_API_BASE_URL": url, "PPLX_BASE_URL": url,
               "TB_FINBERT_URL": url + "/models/ProsusAI/finbert", "TB_LLM_URL": url + "/v1",
               "TELEGRAM_API_URL": url, "POLYMARKET_GAMMA_URL": url,
               "POLYMARKET_CLOB_URL": url}


def bench_slow(src: Path, cap_secs: float) -> list[str]:
    rows = []
    commands = {
        "tb run --live": ["run", "--live", "--seed", "7", "--as-of", _hour(1)],
        "tb universe run --live": ["universe", "run", "--live", "--seed", "7",
                                   "--as-of", _hour(1)],
    }
    for name, args in commands.items():
        with tempfile.TemporaryDirectory() as tmp, _trickle_env(Path(tmp) / "c") as env:
            out = Path(tmp) / "out"
            wall, code, err = _tb(src, [*args, "--artifacts-dir", str(out)], env, cap_secs)
            files = sorted(p.name for p in out.rglob("*.json")) if out.exists() else []
            state = f"exit {code}" if code is not None else f"killed at {cap_secs:.0f} s"
            degraded = _degraded(out)
            rows.append(_row(name, f"{wall:.1f}", state, len(files), degraded))
            if code not in (0, None):
                print(err[-2000:], file=sys.stderr)
    return ["| command (every service 1 B/s) | wall s | result | JSON artifacts | degraded "
            "reasons |", "|---|---:|---|---:|---|", *rows]


def _degraded(root: Path) -> str:
    for path in sorted(root.rglob("*.json")) if root.exists() else []:
        try:
            doc = json.loads(path.read_bytes())
        except ValueError:
            continue
        manifest = doc.get("manifest") if isinstance(doc, dict) else None
        if isinstance(manifest, dict) and "degraded_reasons" in manifest:
            return ", ".join(manifest["degraded_reasons"]) or "none"
    return "(no run file)"


def _padded_news(size: int):  # type: ignore[no-untyped-def]
    def reply(request: RecordedRequest) -> Reply:
        completion = _news(request).json
        content = json.loads(completion["choices"][0]["message"]["content"])
        content["padding"] = "x" * size
        completion["choices"][0]["message"]["content"] = json.dumps(content)
        return Reply(json=completion)
    return reply


def bench_big(src: Path, cap_secs: float) -> list[str]:
    rows = []
    for size in (50 * MB, 6 * MB):
        with tempfile.TemporaryDirectory() as tmp, LiveServices() as services:
            services.servers["perplexity"].route("POST", "/chat/completions",
                                                 _padded_news(size))
            env = services.env(Path(tmp) / "c")
            env["TB_PPLX_READ_TIMEOUT_SECS"] = env["TB_HTTP_READ_TIMEOUT_SECS"] = "30"
            out = Path(tmp) / "out"
            wall, code, err = _tb(src, ["run", "--live", "--seed", "7", "--as-of", _hour(1),
                                        "--artifacts-dir", str(out)], env, cap_secs)
            biggest = max(out.rglob("*"), key=lambda p: p.stat().st_size if p.is_file() else 0)
            inputs = next(out.rglob("*.inputs.json"), None)
            inputs_mb = f"{inputs.stat().st_size / MB:.2f}" if inputs else "(none)"
            rows.append(_row(f"{size / MB:.0f} MB", f"exit {code}", inputs_mb,
                             f"{biggest.name} {biggest.stat().st_size / MB:.2f}",
                             _degraded(out), f"{wall:.1f}"))
    return ["| Perplexity answer | tb run --live | inputs.json MB | largest artifact, MB "
            "| degraded reasons | wall s |", "|---|---|---:|---|---|---:|", *rows]


def _write_big_inputs(path: Path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    head = json.dumps({"schema_version": "1", "type": "run_inputs",
                       "run_id": "0123456789abcdef", "as_of": "2024-03-04T12:00:00Z",
                       "feed": "live", "symbols": ["BTC-USD"], "narratives": [],
                       "bars_file": "runs/2024-03-04/tracer-0123456789abcdef.bars.parquet",
                       "sentiment": [], "config": {}})[:-1]
    call = ', "model_calls": [{"provider": "perplexity", "endpoint": "chat/completions", ' \
           '"request_sha256": "' + "0" * 64 + '", "request": "{}", "response": "'
    tail = '", "error": null}]}'
    with path.open("w") as handle:
        handle.write(head + call)
        chunk = "x" * MB
        for _ in range((size - len(head) - len(call) - len(tail)) // MB):
            handle.write(chunk)
        handle.write(tail)


def bench_validate(src: Path, cap_secs: float) -> list[str]:
    rows = []
    for size in (1000 * MB, 49 * MB):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            _write_big_inputs(root / "runs" / "2024-03-04" /
                              "tracer-0123456789abcdef.inputs.json", size)
            wall, code, err = _tb(src, ["validate", "--artifacts-dir", str(root)], {},
                                  cap_secs, timed=True)
            rss = next((line.split(":")[1].strip() for line in err.splitlines()
                        if "Maximum resident set size" in line), "?")
            message = next((line.strip() for line in err.splitlines()
                            if "inputs.json" in line), "")[:110]
            rows.append(_row(f"{size / MB:.0f} MB run_inputs", f"exit {code}",
                             f"{int(rss) / 1024:.0f}" if rss.isdigit() else rss,
                             f"{wall:.1f}", message))
    return ["| file | tb validate | peak RSS MB | wall s | message |",
            "|---|---|---:|---:|---|", *rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=("slow", "big", "validate", "all"))
    parser.add_argument("--src", type=Path, default=ROOT, help="checkout whose code is run")
    parser.add_argument("--cap-secs", type=float, default=900.0,
                        help="kill a command still running after this long")
    args = parser.parse_args(argv)
    chosen = ("slow", "big", "validate") if args.scenario == "all" else (args.scenario,)
    benches = {"slow": bench_slow, "big": bench_big, "validate": bench_validate}
    print(f"code: {args.src}")
    for name in chosen:
        print()
        print("\n".join(benches[name](args.src.resolve(), args.cap_secs)), flush=True)


if __name__ == "__main__":
    main()
