"""The jobs' parse rules, written again in plain Python: the independent side of the parser
tests. Python's json module reads the text (numbers as exact Decimals, a repeated key keeps its
last value), and each rule is checked in the order the jobs document (docs/jobs.md).

`person_reason(line)` / `gender_reason(line)`: None for a valid record, else the reason; every
reason for unreadable JSON starts with "invalid JSON".
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

INT64 = (-(2**63), 2**63 - 1)
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z")
UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
MISSING = object()


class Invalid(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_object(line: str) -> dict:
    try:
        doc = json.loads(line, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise Invalid(f"invalid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise Invalid("invalid JSON: not an object")
    return doc


def is_number(v: object) -> bool:
    return isinstance(v, int | Decimal) and not isinstance(v, bool)


def integer(v: object) -> int | None:
    """JSON Schema's integer: a number without a fractional part, here within int64."""
    if not is_number(v) or (isinstance(v, Decimal) and v != v.to_integral_value()):
        return None
    n = int(v)  # type: ignore[arg-type]
    return n if INT64[0] <= n <= INT64[1] else None


def text(v: object) -> str | None:
    return v if isinstance(v, str) and v else None


def time_ok(v: object) -> bool:
    if not isinstance(v, str) or not TIME_RE.fullmatch(v):
        return False
    try:
        datetime.fromisoformat(v)
    except ValueError:
        return False
    return True


def _common(doc: dict) -> None:
    if text(doc.get("site_id")) is None:
        raise Invalid("site_id: missing or not a non-empty string")
    if text(doc.get("camera_id")) is None:
        raise Invalid("camera_id: missing or not a non-empty string")


def _captured_at(doc: dict) -> None:
    if doc.get("captured_at") is None:
        raise Invalid("captured_at: missing")
    if not time_ok(doc["captured_at"]):
        raise Invalid("captured_at: not ISO-8601 UTC with milliseconds and Z")


def _unit(v: object) -> bool:
    return is_number(v) and 0 <= v <= 1  # type: ignore[operator]


def _finite(v: object) -> bool:
    """A number that a double holds without overflowing to infinity."""
    try:
        return is_number(v) and math.isfinite(float(v))  # type: ignore[arg-type]
    except OverflowError:  # float() of an int beyond the double range
        return False


def _box(v: object) -> bool:
    return isinstance(v, list) and len(v) == 4 and all(_finite(x) for x in v)


def _event_id(doc: dict) -> None:
    """The last rule: absent is fine (older producers); present, a lower-case UUID version 4.
    fullmatch, not `$`: `$` also matches before a trailing newline."""
    if "event_id" not in doc:
        return
    v = doc["event_id"]
    if not isinstance(v, str) or not UUID4_RE.fullmatch(v):
        raise Invalid("event_id: not a lower-case UUID version 4")


def check_person(doc: dict) -> None:
    _common(doc)
    frame = integer(doc.get("frame_id"))
    if frame is None or frame < 0:
        raise Invalid("frame_id: missing or not an int >= 0")
    count = integer(doc.get("people_count"))
    if count is not None and count < 0:
        raise Invalid("people_count: negative")
    if count is None or count > 2**31 - 1:
        raise Invalid("people_count: missing or not an int (at most 2147483647)")
    _captured_at(doc)
    dets = doc.get("detections")
    if not isinstance(dets, list):
        raise Invalid("detections: missing or not a list")
    if not all(isinstance(d, dict) for d in dets):
        raise Invalid("detections: an item is not an object")
    if not all("track_id" in d and (d["track_id"] is None or integer(d["track_id"]) is not None)
               for d in dets):  # fmt: skip
        raise Invalid("detections: track_id missing, or not an int or null")
    if not all(_unit(d.get("score", MISSING)) for d in dets):
        raise Invalid("detections: score missing, or not a number in 0..1")
    if not all(_box(d.get("bbox")) for d in dets):
        raise Invalid("detections: bbox missing, or not 4 numbers")
    _event_id(doc)


def check_gender(doc: dict) -> None:
    _common(doc)
    _captured_at(doc)
    if "track_id" not in doc:
        raise Invalid("track_id: missing (use null for untracked)")
    if doc["track_id"] is not None and integer(doc["track_id"]) is None:
        raise Invalid("track_id: not an int or null")
    if doc.get("gender") not in ("male", "female"):
        raise Invalid("gender: missing or not male/female")
    if not _unit(doc.get("confidence", MISSING)):
        raise Invalid("confidence: missing or not a number in 0..1")
    _event_id(doc)


def reason(stream: str, line: str) -> str | None:
    check = check_person if stream == "person_detections" else check_gender
    try:
        check(load_object(line))
    except Invalid as exc:
        return str(exc)
    return None


def normalised(line: str) -> dict:
    """A valid record as plain Python values (integral numbers as int), for the windows'
    reference (tests/jobs/reference.py)."""

    def plain(v: Any) -> Any:
        if isinstance(v, Decimal):
            return int(v) if v == v.to_integral_value() else float(v)
        if isinstance(v, list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        return v

    return plain(load_object(line))
