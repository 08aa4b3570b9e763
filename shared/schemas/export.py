"""Write ``schemas/<name>.schema.json`` from the pydantic contracts and bot-config models.

Never edit a schema by hand: run ``python -m shared.schemas.export`` (``--check`` fails when
the committed files differ from what the models generate, which CI runs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from shared.contracts.schemas import ARTIFACT_MODELS, SCHEMA_MODELS, render_contract_schemas
from shared.signal.config import render_bot_config_schemas

__all__ = ["ARTIFACT_MODELS", "SCHEMA_MODELS", "main", "render_schemas"]


def render_schemas() -> dict[str, str]:
    """Return ``{file name: JSON text}`` for every contract schema and every bot-config
    schema (``bot_config_<bot>.schema.json``: the mode and typed params of
    ``config/bots/<bot>.yaml``)."""
    return dict(sorted({**render_contract_schemas(), **render_bot_config_schemas()}.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("schemas"))
    parser.add_argument("--check", action="store_true", help="fail if files differ")
    args = parser.parse_args(argv)
    rendered = render_schemas()
    drift: list[str] = []
    args.out.mkdir(parents=True, exist_ok=True)
    existing = {p.name for p in args.out.glob("*.schema.json")}
    for name, text in rendered.items():
        path = args.out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            drift.append(name)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    for stale in sorted(existing - rendered.keys()):
        drift.append(stale)
        if not args.check:
            (args.out / stale).unlink()
    if args.check and drift:
        print("schema drift (run: python -m shared.schemas.export):", *drift, sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
