"""The base of every wire contract: frozen, strict, extra keys forbidden, UTC times.

Models validate from JSON with ``Model.model_validate_json`` (strict mode accepts ISO-8601
strings for datetimes there) and serialize with :func:`canonical_json`, which sorts keys so
that the same value always produces the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import to_jsonable_python

__all__ = [
    "Contract",
    "Digest",
    "Probability",
    "Signed",
    "UtcDatetime",
    "canonical_json",
    "format_utc",
    "sha256_hex",
]


def _require_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("datetime must be timezone-aware (UTC)")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+00:01 is before datetime.min in UTC
        raise ValueError(f"datetime out of range in UTC: {value.isoformat()}") from None


def format_utc(value: datetime) -> str:
    """Format an aware datetime as ISO-8601 UTC with a ``Z`` suffix (seconds precision
    unless there are microseconds)."""
    value = value.astimezone(UTC)
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("+00:00", "Z")


UtcDatetime = Annotated[
    datetime,
    AfterValidator(_require_utc),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]
"""A timezone-aware datetime normalised to UTC and serialised as ``YYYY-MM-DDTHH:MM:SSZ``."""

Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Signed = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]
Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{16,64}$")]


class Contract(BaseModel):
    """Base model: immutable, strict types, no unknown keys, no NaN/inf floats."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        strict=True,
        allow_inf_nan=False,
        validate_default=True,
    )


def canonical_json(value: Any) -> str:
    """Serialize to diff-friendly JSON: sorted keys, 2-space indent, trailing newline.

    Pydantic models (also nested in dicts and lists) are dumped in JSON mode first, so
    datetimes become UTC ISO strings. The text is ``json.dumps(value, sort_keys=True,
    indent=2, ensure_ascii=False, allow_nan=False)``'s, to the byte; it is built by
    :func:`_indented` because the standard library's indenting encoder is pure Python and
    this runs for every bot input (its digest) of every decision.
    """
    value = to_jsonable_python(value)
    try:
        return _indented(value, "\n") + "\n"
    except _Unusual:
        return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False,
                          allow_nan=False) + "\n"


class _Unusual(Exception):
    """A value :func:`_indented` leaves to ``json.dumps`` (non-string keys, other types)."""


_encode_string = json.encoder.encode_basestring  # what json.dumps uses with ensure_ascii=False


def _indented(value: Any, newline: str) -> str:
    # json's _make_iterencode with indent=2, sort_keys=True, allow_nan=False, for the types
    # to_jsonable_python returns; scalars are written exactly as that encoder writes them.
    kind = type(value)
    if kind is float:
        return _float(value)
    if kind is str:
        return _encode_string(value)
    if kind is int:
        return int.__repr__(value)
    if isinstance(value, dict):
        return _indented_dict(value, newline)
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = newline + "  "
        return "[" + inner + ("," + inner).join([_indented(v, inner) for v in value]) \
            + newline + "]"
    return _scalar(value)


def _indented_dict(value: dict[Any, Any], newline: str) -> str:
    if not value:
        return "{}"
    inner = newline + "  "
    parts = []
    for key in sorted(value):
        if type(key) is not str:
            raise _Unusual
        item = value[key]
        kind = type(item)  # the flat cases inline: a bot's input is mostly scalars
        text = (_float(item) if kind is float else _encode_string(item) if kind is str
                else int.__repr__(item) if kind is int else _indented(item, inner))
        parts.append(_encode_string(key) + ": " + text)
    return "{" + inner + ("," + inner).join(parts) + newline + "}"


def _scalar(value: Any) -> str:
    # None, booleans, and subclasses of str, int and float, as json writes them.
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    raise _Unusual


def _float(value: float) -> str:
    if value != value or value == math.inf or value == -math.inf:
        raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
    return float.__repr__(value)


def sha256_hex(data: str | bytes) -> str:
    """Hex SHA-256 of text (UTF-8) or bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
