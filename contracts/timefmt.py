"""Wire timestamp format: ISO-8601 UTC, exactly millisecond precision, ``Z`` suffix.

Example: ``2026-11-23T20:00:00.123Z``. Every timestamp on the wire uses this one form, so
the text is fixed-width (24 characters), sorts lexically in time order, and round-trips
byte-identically through :func:`parse_ts` and :func:`format_ts`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

UTC = timezone.utc
"""The wire's zone (``datetime.UTC`` is 3.11+; the contract also runs on the edge's 3.10)."""

TS_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"
"""The regular expression every wire timestamp must match (also used in the JSON Schemas)."""

_TS_RE = re.compile(TS_PATTERN)


def format_ts(dt: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC.

    Non-UTC aware datetimes are converted to UTC. Sub-millisecond digits are truncated
    (not rounded), so a timestamp never moves into the next millisecond.

    Raises:
        ValueError: if ``dt`` is naive (no tzinfo, or a tzinfo that returns no offset).
    """
    if not isinstance(dt, datetime):
        raise TypeError(f"expected datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}: wire timestamps must be timezone-aware (UTC)")
    utc = dt.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def parse_ts(s: str) -> datetime:
    """Parse a wire timestamp into an aware UTC datetime.

    Only the exact form ``YYYY-MM-DDTHH:MM:SS.mmmZ`` is accepted: no offset other than
    ``Z``, no missing or extra fractional digits, no surrounding whitespace.

    Raises:
        ValueError: if ``s`` does not match :data:`TS_PATTERN` or is not a real
            calendar date/time (e.g. month 13).
    """
    if not isinstance(s, str) or _TS_RE.fullmatch(s) is None:
        raise ValueError(
            f"invalid timestamp {s!r}: expected UTC 'YYYY-MM-DDTHH:MM:SS.mmmZ', "
            "e.g. '2026-11-23T20:00:00.123Z'"
        )
    # The pattern guarantees the trailing "Z"; Python 3.10 (JetPack 6) reads only "+00:00".
    return datetime.fromisoformat(s[:-1] + "+00:00")
