"""``--require-live``: a run that was asked to be live refuses to stand in synthetic data.

``--live`` alone uses the real provider for every key that is set and the seeded synthetic
stand-in for every other one (shared/pipeline/live.py). That is right for a person trying the
project, and wrong for a schedule: a fork with no secrets would commit a synthetic run every
hour as if it were the live record. With ``--require-live`` the command first checks that the
market-data and news keys are set (the run's feed is ``live`` only when both are real); when
they are not it writes nothing, says so on stderr, as a workflow warning and in
``$GITHUB_STEP_SUMMARY``, writes ``live_ok=false`` to ``$GITHUB_OUTPUT``, and exits 0 so the
workflow skips its commit step instead of failing every hour. docs/deploy.md sets the keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

__all__ = ["LIVE_PROVIDERS", "missing_live_keys", "refuse_without_live_keys"]

# The providers whose stand-in would make the run's feed synthetic, and their secrets.
LIVE_PROVIDERS: dict[str, tuple[str, ...]] = {
    "alpaca": ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY"),
    "perplexity": ("PPLX_API_KEY",),
}


def missing_live_keys() -> list[str]:
    """The secret names a live run needs that the environment does not set."""
    from shared.settings import Settings

    settings = Settings()
    missing = []
    for provider, names in LIVE_PROVIDERS.items():
        if not settings.has_keys_for(provider):
            missing += [n for n in names if not os.environ.get(n, "").strip()] or list(names)
    return missing


def refuse_without_live_keys(stage: str, *, output: bool = True) -> bool:
    """True (and the refusal reported everywhere a person or a workflow looks) when a live
    run's keys are missing; False when they are set. ``output``: also write ``live_ok`` to
    ``$GITHUB_OUTPUT`` (``tb universe plan`` prints it itself)."""
    missing = missing_live_keys()
    if output:
        _append("GITHUB_OUTPUT", f"live_ok={'false' if missing else 'true'}\n")
    if not missing:
        return False
    names = ", ".join(missing)
    message = (f"{stage}: not run: --require-live and {names} not set, so the run would use "
               "synthetic stand-ins; nothing was written or committed (set the secrets: "
               "docs/deploy.md, or dispatch with live off for a synthetic run)")
    click.echo(message, err=True)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        click.echo(f"::warning title=No live keys::{message}", err=True)
    _append("GITHUB_STEP_SUMMARY",
            f"### {stage}: skipped, no live keys\n\n{message}.\n\n"
            "Synthetic data is never committed as if it were live.\n")
    return True


def _append(variable: str, text: str) -> None:
    target = os.environ.get(variable)
    if not target:
        return
    try:
        with Path(target).open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as e:  # a summary we cannot write must not turn the refusal into a crash
        click.echo(f"could not write ${variable} ({target}): {e.strerror}", err=True)
