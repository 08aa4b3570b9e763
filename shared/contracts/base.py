"""The base of every wire contract: frozen, strict, extra keys forbidden, UTC times.

Models validate from JSON with ``Model.model_validate_json`` (strict mode accepts ISO-8601
strings for datetimes there) and serialize with :func:`canonical_json`, which sorts keys so
that the same value always produces the same bytes.
"""

from __future__ import annotations

import hashlib
import json
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
    return value.astimezone(UTC)


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
    datetimes become UTC ISO strings.
    """
    value = to_jsonable_python(value)
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def sha256_hex(data: str | bytes) -> str:
    """Hex SHA-256 of text (UTF-8) or bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()
