"""The jobs' parse rules, written again in plain Python: the independent side of the parser
tests. Python's json module reads the text (numbers as exact Decimals, a repeated key keeps its
last value), and each rule is checked in the order the jobs document (docs/jobs.md).

`reason(stream, line)`: None for a valid record, else the reason; every reason for unreadable
JSON starts with "invalid JSON". The older streams (person detections, gender classifications)
keep the jobs' lenient rules (unknown keys ignored, ids of any length, event_id optional); the
geometry streams (line crossings, zone visits) follow the contract's JSON Schema exactly.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts.timefmt import parse_ts

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
    if not all(_zones(d.get("zones", [])) for d in dets):
        raise Invalid(
            "detections: zones not a list of at most 64 distinct strings of 1 to 128 characters"
        )
    _event_id(doc)


def _id(v: object) -> bool:
    """The contract's ids: strings of 1 to 128 characters (code points, as JSON Schema)."""
    return isinstance(v, str) and 1 <= len(v) <= 128


def _zones(v: object) -> bool:
    return isinstance(v, list) and len(v) <= 64 and all(map(_id, v)) and len(set(v)) == len(v)


def _strict_start(doc: dict, keys: tuple[str, ...]) -> None:
    """The geometry streams' first rules: no unknown key (the first, cut to 64 characters),
    then site_id and camera_id ids, then an integer track_id."""
    for key in doc:
        if key not in keys:
            raise Invalid("unknown key: " + (key if len(key) <= 64 else key[:64] + "..."))
    for name in ("site_id", "camera_id"):
        _check_id(doc, name)
    if integer(doc.get("track_id")) is None:
        raise Invalid("track_id: missing or not an int")


def _check_id(doc: dict, name: str) -> None:
    if not _id(doc.get(name)):
        raise Invalid(f"{name}: missing or not a string of 1 to 128 characters")


def _strict_end(doc: dict, schema: str) -> None:
    if doc.get("schema") != schema:
        raise Invalid(f"schema: missing or not {schema}")
    v = doc.get("event_id")
    if not isinstance(v, str) or not UUID4_RE.fullmatch(v):
        raise Invalid("event_id: missing or not a lower-case UUID version 4")


CROSSING_KEYS = ("site_id", "camera_id", "track_id", "line_id", "direction", "frame_id",
                 "captured_at", "geometry_version", "gender", "event_id", "schema")  # fmt: skip
VISIT_KEYS = ("site_id", "camera_id", "track_id", "zone_id", "entered_at", "exited_at",
              "dwell_s", "end_reason", "geometry_version", "event_id", "schema")  # fmt: skip
TIME_FORM = ": missing or not ISO-8601 UTC with milliseconds and Z"


def check_crossing(doc: dict) -> None:
    _strict_start(doc, CROSSING_KEYS)
    _check_id(doc, "line_id")
    if doc.get("direction") not in ("in", "out"):
        raise Invalid("direction: missing or not in/out")
    frame = integer(doc.get("frame_id"))
    if frame is None or frame < 0:
        raise Invalid("frame_id: missing or not an int >= 0")
    _captured_at(doc)
    _check_id(doc, "geometry_version")
    if "gender" in doc and doc["gender"] not in ("male", "female"):
        raise Invalid("gender: not male/female")
    _strict_end(doc, "line_crossings/v1")


def check_visit(doc: dict) -> None:
    _strict_start(doc, VISIT_KEYS)
    _check_id(doc, "zone_id")
    for name in ("entered_at", "exited_at"):
        if not time_ok(doc.get(name)):
            raise Invalid(name + TIME_FORM)
    entered, exited = (parse_ts(doc[k]) for k in ("entered_at", "exited_at"))
    if exited < entered:
        raise Invalid("exited_at: before entered_at")
    dwell = doc.get("dwell_s")
    if not _finite(dwell) or dwell < 0:  # type: ignore[operator]
        raise Invalid("dwell_s: missing or not a number >= 0")
    if abs(float(dwell) - (exited - entered).total_seconds()) > 0.0015:  # type: ignore[arg-type]
        raise Invalid("dwell_s: not exited_at - entered_at (within 1.5 ms)")
    if doc.get("end_reason") not in ("left", "lost", "stream_end", "shutdown"):
        raise Invalid("end_reason: missing or not left/lost/stream_end/shutdown")
    _check_id(doc, "geometry_version")
    _strict_end(doc, "zone_visits/v1")


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


CHECKS = {
    "person_detections": check_person,
    "gender_classifications": check_gender,
    "line_crossings": check_crossing,
    "zone_visits": check_visit,
}


def reason(stream: str, line: str) -> str | None:
    try:
        CHECKS[stream](load_object(line))
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
