"""The paper ledger's artifacts under ``runs/paper/`` and their reconciliation.

Files (append-only: a run adds lines, never rewrites earlier ones; written atomically
through :mod:`shared.store.atomic`):

* ``orders.jsonl``   every order event (order, filled, partially filled, cancelled, rejected,
  expired) and every risk refusal (``event: refused`` with its reason code);
* ``fills.jsonl``    every fill, with cash and position right after it;
* ``equity.csv``     per step: as_of, cash, positions value, equity, gross exposure, state;
* ``positions.csv``  per step and open symbol: qty, mark, value;
* ``alerts.jsonl``   every kill-switch trip and reconciliation failure (and its delivery);
* ``account.json``   the broker's cash and positions at the end of the last run.

:func:`reconcile` rebuilds cash and positions from ``fills.jsonl`` alone and compares them
with the broker; a difference beyond 1e-9 is a mismatch, which the caller turns into a halt
(``HALT_LEDGER_MISMATCH``) and an alert: fail closed.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.errors import ArtifactError
from shared.store.atomic import atomic_write_text

__all__ = ["EQUITY_HEADER", "POSITIONS_HEADER", "Reconciliation", "append_csv",
           "append_jsonl", "read_jsonl", "reconcile", "replay_fills"]

EQUITY_HEADER = ("as_of", "cash", "positions_value", "equity", "gross_exposure", "state")
POSITIONS_HEADER = ("as_of", "symbol", "qty", "mark", "value")
TOLERANCE = 1e-9


def append_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    lines = "".join(json.dumps(r, sort_keys=True) + "\n" for r in records)
    if not lines and path.exists():
        return
    previous = path.read_text(encoding="utf-8") if path.is_file() else ""
    atomic_write_text(path, previous + lines)


def append_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if not path.is_file():
        writer.writerow(header)
        previous = ""
    else:
        previous = path.read_text(encoding="utf-8")
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    atomic_write_text(path, previous + buffer.getvalue())


def _cell(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ArtifactError(f"{path}: unreadable: {e}") from e
    out: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as e:
            raise ArtifactError(f"{path}:{number}: not JSON: {e}") from e
        if not isinstance(record, dict):
            raise ArtifactError(f"{path}:{number}: not an object")
        out.append(record)
    return out


def replay_fills(initial_cash: float, fills: Iterable[dict[str, Any]]
                 ) -> tuple[float, dict[str, float]]:
    """Cash and positions from the fills alone, with the broker's arithmetic."""
    cash = initial_cash
    positions: dict[str, float] = {}
    for f in fills:
        try:
            qty, price, fee = float(f["qty"]), float(f["price"]), float(f["fee"])
            buy = f["side"] == "buy"
            symbol = str(f["symbol"])
        except (KeyError, TypeError, ValueError) as e:
            raise ArtifactError(f"fill record is invalid: {e}") from e
        notional = price * qty
        cash += -(notional + fee) if buy else notional - fee
        after = positions.get(symbol, 0.0) + (qty if buy else -qty)
        positions[symbol] = 0.0 if abs(after) <= 1e-12 else after
    return cash, {s: q for s, q in positions.items() if q != 0.0}


@dataclass(frozen=True)
class Reconciliation:
    ok: bool
    detail: str
    ledger_cash: float
    broker_cash: float


def reconcile(directory: Path, initial_cash: float, broker_cash: float,
              broker_positions: dict[str, float]) -> Reconciliation:
    """Compare the broker with what ``fills.jsonl`` says; unreadable ledger = mismatch."""
    try:
        cash, positions = replay_fills(initial_cash, read_jsonl(directory / "fills.jsonl"))
    except ArtifactError as e:
        return Reconciliation(False, f"ledger unreadable: {e}", math.nan, broker_cash)
    problems = []
    if not _close(cash, broker_cash):
        problems.append(f"cash: ledger {cash!r} vs broker {broker_cash!r}")
    for symbol in sorted(set(positions) | set(broker_positions)):
        a, b = positions.get(symbol, 0.0), broker_positions.get(symbol, 0.0)
        if not _close(a, b):
            problems.append(f"{symbol}: ledger {a!r} vs broker {b!r}")
    return Reconciliation(not problems, "; ".join(problems) or "ledger and broker agree",
                          cash, broker_cash)


def _close(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= TOLERANCE * max(1.0, abs(b))
