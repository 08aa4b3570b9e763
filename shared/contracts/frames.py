"""The in-memory form of a bar series: a pandas DataFrame with fixed columns.

Bars travel as DataFrames, not lists of ``Bar`` models, because features run over thousands
of them per symbol. :func:`validate_bars_frame` enforces the same invariants as the ``Bar``
contract, vectorised, and raises :class:`ContractViolation` naming the first bad row.

Columns: ``start`` and ``end`` (``datetime64[ns, UTC]``; a bar is available at ``end``),
``open high low close volume`` (float64). Rows are sorted by ``start``, unique.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from shared.errors import ContractViolation

__all__ = ["BAR_COLUMNS", "empty_bars_frame", "validate_bars_frame"]

BAR_COLUMNS: tuple[str, ...] = ("start", "end", "open", "high", "low", "close", "volume")
_PRICE_COLUMNS = ("open", "high", "low", "close")


def empty_bars_frame() -> pd.DataFrame:
    """A frame with the bar columns and no rows."""
    frame = pd.DataFrame({name: pd.Series(dtype="float64") for name in BAR_COLUMNS})
    for name in ("start", "end"):
        frame[name] = pd.Series(dtype="datetime64[ns, UTC]")
    return frame


def validate_bars_frame(frame: pd.DataFrame, *, symbol: str) -> pd.DataFrame:
    """Check columns, types and OHLC invariants; return the frame with exactly BAR_COLUMNS."""
    missing = [name for name in BAR_COLUMNS if name not in frame.columns]
    if missing:
        raise ContractViolation(f"bars for {symbol}: missing columns {missing}")
    frame = frame.loc[:, list(BAR_COLUMNS)].reset_index(drop=True)
    for name in ("start", "end"):
        dtype = frame[name].dtype
        if not isinstance(dtype, pd.DatetimeTZDtype) or str(dtype.tz) != "UTC":
            raise ContractViolation(f"bars for {symbol}: column {name} must be UTC datetimes")
    values = frame.loc[:, [*_PRICE_COLUMNS, "volume"]].to_numpy(dtype="float64")
    bad = ~np.isfinite(values).all(axis=1)
    o, h, lo, c, v = (values[:, i] for i in range(5))
    with np.errstate(invalid="ignore"):
        bad |= (values[:, :4] <= 0).any(axis=1) | (v < 0)
        bad |= (h < np.maximum(o, c)) | (lo > np.minimum(o, c)) | (h < lo)
    bad |= (frame["end"] <= frame["start"]).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ContractViolation(
            f"bars for {symbol}: invalid bar at row {row} (start {frame['start'].iloc[row]}): "
            "prices must be finite and positive, volume >= 0, low <= open/close <= high"
        )
    starts = frame["start"]
    if not starts.is_monotonic_increasing or starts.duplicated().any():
        raise ContractViolation(f"bars for {symbol}: start times must be strictly increasing")
    return frame
