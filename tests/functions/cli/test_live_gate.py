"""`--require-live`: no keys, no run, no files, and the workflow is told (summary, output)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.tree import tb

NO_KEYS = {"APCA_API_KEY_ID": "", "APCA_API_SECRET_KEY": "", "PPLX_API_KEY": "", "HF_TOKEN": "",
           "TELEGRAM_BOT_TOKEN": "", "TELEGRAM_CHAT_ID": ""}


def test_tb_run_require_live_without_keys_writes_nothing_and_says_so(tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    done = tb("run", "--require-live", "--as-of", "2026-03-02T12:00:00Z", "--artifacts-dir",
              str(tmp_path / "art"),
              env={**NO_KEYS, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
                   "GITHUB_ACTIONS": "true"})
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "art").exists()
    assert output.read_text() == "live_ok=false\n"
    text = summary.read_text()
    assert "skipped, no live keys" in text and "APCA_API_KEY_ID" in text
    assert "::warning title=No live keys::" in done.stderr


def test_universe_plan_require_live_prints_live_ok(tmp_path: Path) -> None:
    done = tb("universe", "plan", "--require-live", "--now", "2026-03-03T18:00:00Z",
              env={**NO_KEYS, "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "live_ok=false"
    keys = {"APCA_API_KEY_ID": "AK", "APCA_API_SECRET_KEY": "SK", "PPLX_API_KEY": "pplx"}
    done = tb("universe", "plan", "--require-live", "--now", "2026-03-03T18:00:00Z",
              env={**NO_KEYS, **keys})
    assert done.stdout.splitlines()[-1] == "live_ok=true"
    assert "not run" not in done.stderr


def test_a_symbol_is_normalised_and_an_unknown_one_is_a_usage_error(tmp_path: Path) -> None:
    art = ["--as-of", "2026-03-02T12:00:00Z", "--artifacts-dir", str(tmp_path), "--no-notify"]
    done = tb("run", "--symbol", "FOOBAR", *art, env=NO_KEYS)
    assert done.returncode == 2 and "unknown symbol 'FOOBAR'" in done.stderr
    assert "--allow-unknown-symbol" in done.stderr
    done = tb("run", "--symbol", "FOOBAR", "--allow-unknown-symbol", "--json", *art, env=NO_KEYS)
    assert done.returncode == 0, done.stderr
    done = tb("run", "--symbol", "eth-usd", "--json", *art, env=NO_KEYS)
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)  # one JSON object, nothing else on stdout
    assert summary["symbol"] == "ETH-USD"
    assert Path(summary["artifacts"]["run"]).exists() or \
        (Path.cwd() / summary["artifacts"]["run"]).exists()
    assert "\\-" not in summary["digest"]


def test_universe_run_json_and_validate_json_are_one_object_each(tmp_path: Path) -> None:
    import json

    art = str(tmp_path / "art")
    done = tb("universe", "run", "--json", "--seed", "7", "--as-of", "2026-03-03T18:00:00Z",
              "--artifacts-dir", art, "--no-notify", env=NO_KEYS)
    assert done.returncode == 0, done.stderr
    run = json.loads(done.stdout)
    assert run["counts"]["symbols"] == 12 and run["artifacts"]["run"].endswith(".json")
    assert "*" not in run["digest"] and "\\" not in run["digest"]
    done = tb("validate", "--json", "--artifacts-dir", art)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["invalid"] == 0 and report["checked"] == report["valid"] >= 2
