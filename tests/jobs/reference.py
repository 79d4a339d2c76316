"""Independent reference of the jobs, in plain Python (no Flink, no SQL).

It replays the arrival order: the watermark after each record is the largest capture time
seen so far minus the delay (records whose time does not parse move nothing), a valid event
at or behind the watermark is late, and the windows see the rest, each event once: an on-time
copy of an event_id already seen on time is dropped (events without one are all kept), and
every late copy is late.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from datetime import UTC, datetime

import numpy

from contracts.timefmt import parse_ts
from edge_producer.simulate import Stream


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def capture_time(line: str, time_key: str = "captured_at") -> float | None:
    """A raw line's event time (`time_key`: captured_at, or a zone visit's exited_at), or None
    when it has none in the contract's form (it then moves no watermark)."""
    try:
        return parse_ts(json.loads(line)[time_key]).timestamp()
    except (ValueError, KeyError, TypeError):
        return None


def replay(
    stream: Stream, delay_s: float, *, keep_repeats: bool = False, time_key: str = "captured_at"
) -> tuple[list[dict], list[dict], float]:
    """(on-time valid events, late valid events, final watermark) in arrival order.

    A line may arrive several times (at-least-once delivery). On time, an event counts once
    per event_id (`keep_repeats`: every copy, the jobs' --keep-repeats); late, every copy is
    reported. Events without an event_id are never taken for repeats."""
    valid = {json.dumps(e): e for e in stream.valid}  # byte-identical copies share one entry
    taken: set[str] = set()  # event_ids counted on time
    on_time, late, watermark = [], [], -math.inf
    for _, line in stream.lines:
        t = capture_time(line, time_key)
        if line in valid:
            event = valid[line]
            if t <= watermark:
                late.append(event)
            elif keep_repeats or "event_id" not in event:
                on_time.append(event)
            elif event["event_id"] not in taken:
                taken.add(event["event_id"])
                on_time.append(event)
        if t is not None:
            watermark = max(watermark, t - delay_s)
    return on_time, late, watermark


def window_starts(t: float, size: int, slide: int) -> list[int]:
    """Epoch-aligned windows [start, start + size) with starts on multiples of `slide`."""
    last = int(t // slide) * slide
    return [s for s in range(last, last - size, -slide) if s <= t < s + size]


def _windows(
    events: list[dict],
    size: int,
    slide: int | None,
    watermark: float | None,
    by: tuple[str, ...] = ("camera_id",),
    time_key: str = "captured_at",
):
    """(key, the row's key fields, the events) per window and group (`by`: the fields the rows
    are grouped by; the key is their values, then the window's start)."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for e in events:
        for start in window_starts(parse_ts(e[time_key]).timestamp(), size, slide or size):
            if watermark is None or start + size <= watermark:
                groups[(*(e[f] for f in by), start)].append(e)
    for (*values, start), evs in groups.items():
        key = {
            "site_id": max(e["site_id"] for e in evs),
            **dict(zip(by, values, strict=True)),
            "window_start": _iso(start),
            "window_end": _iso(start + size),
        }
        yield (*values, _iso(start)), key, evs


def people_windows(
    events: list[dict], *, size: int = 60, slide: int | None = None, watermark: float | None = None
) -> dict[tuple[str, str], dict]:
    """people_counter rows by (camera_id, window_start); with `watermark`, only the windows
    a live job has closed (end <= watermark)."""
    out = {}
    for k, key, evs in _windows(events, size, slide, watermark):
        counts = [e["people_count"] for e in evs]
        tracks = {d["track_id"] for e in evs for d in e["detections"] if d["track_id"] is not None}
        out[k] = key | {
            "avg_people": sum(counts) / len(counts),
            "max_people": max(counts),
            "min_people": min(counts),
            "frames": len(evs),
            "unique_people": len(tracks),
        }
    return out


def gender_windows(
    events: list[dict], *, size: int = 60, slide: int | None = None, watermark: float | None = None
) -> dict[tuple[str, str], dict]:
    """gender_counter rows: one majority vote per track and window (tie: unknown); untracked
    classifications count one each."""
    out = {}
    for k, key, evs in _windows(events, size, slide, watermark):
        votes: dict[int, list[str]] = defaultdict(list)
        men = women = unknown = 0
        for e in evs:
            if e["track_id"] is None:
                men += e["gender"] == "male"
                women += e["gender"] == "female"
            else:
                votes[e["track_id"]].append(e["gender"])
        for genders in votes.values():
            m, f = genders.count("male"), genders.count("female")
            men, women, unknown = men + (m > f), women + (f > m), unknown + (m == f)
        out[k] = key | {"men": men, "women": women, "unknown": unknown}
    return out


def footfall_windows(events: list[dict], *, size: int = 60) -> dict[tuple, dict]:
    """footfall rows by (camera_id, line_id, window_start): crossings in and out, and by
    gender where the crossing has one."""
    out = {}
    for k, key, evs in _windows(events, size, None, None, by=("camera_id", "line_id")):
        by_kind = Counter((e["direction"], e.get("gender")) for e in evs)
        out[k] = key | {
            "people_in": sum(n for (d, _), n in by_kind.items() if d == "in"),
            "people_out": sum(n for (d, _), n in by_kind.items() if d == "out"),
            "in_male": by_kind["in", "male"],
            "in_female": by_kind["in", "female"],
            "out_male": by_kind["out", "male"],
            "out_female": by_kind["out", "female"],
        }
    return out


def dwell_windows(events: list[dict], *, size: int = 60) -> dict[tuple, dict]:
    """dwell rows by (camera_id, zone_id, window_start), windows on exited_at: visits, mean and
    largest dwell, and numpy's percentiles (linear between the nearest ranks)."""
    out = {}
    by = ("camera_id", "zone_id")
    for k, key, evs in _windows(events, size, None, None, by=by, time_key="exited_at"):
        dwell = [float(e["dwell_s"]) for e in evs]
        out[k] = key | {
            "visits": len(dwell),
            "dwell_avg_s": sum(dwell) / len(dwell),
            "dwell_max_s": max(dwell),
            "dwell_p50_s": float(numpy.percentile(dwell, 50)),
            "dwell_p90_s": float(numpy.percentile(dwell, 90)),
        }
    return out


def zone_occupancy_windows(events: list[dict], *, size: int = 60) -> dict[tuple, dict]:
    """zone_occupancy rows by (camera_id, zone_id, window_start): per zone someone was in, the
    mean over all the camera's frames of the window of the people in it, and the most."""
    out = {}
    for (camera, start), key, evs in _windows(events, size, None, None):
        per_frame = [Counter(z for d in e["detections"] for z in d.get("zones", [])) for e in evs]
        for zone in sorted(set().union(*per_frame)):
            people = [frame[zone] for frame in per_frame]
            out[(camera, zone, start)] = {
                "site_id": key["site_id"],
                "camera_id": camera,
                "zone_id": zone,
                "window_start": key["window_start"],
                "window_end": key["window_end"],
                "avg_people": sum(people) / len(evs),
                "max_people": max(people),
            }
    return out


def assert_rows_match(
    actual: list[dict], expected: dict[tuple, dict], by: tuple[str, ...] = ("camera_id",)
) -> None:
    """Exact counts, averages to 1e-9, no missing, extra or duplicated windows. `by`: the fields
    the rows are grouped by besides the window (the expected rows' keys: theirs, then
    window_start)."""
    keys = [(*(r[f] for f in by), r["window_start"]) for r in actual]
    assert len(keys) == len(set(keys)), f"duplicated windows: {len(keys) - len(set(keys))}"
    got = dict(zip(keys, actual, strict=True))
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    assert not missing and not extra, f"missing {missing[:5]}, extra {extra[:5]}"
    for k, exp in expected.items():
        row = got[k]
        assert set(row) == set(exp), (k, sorted(row), sorted(exp))
        for name, value in exp.items():
            if isinstance(value, float):
                assert abs(row[name] - value) <= 1e-9, (k, name, row[name], value)
            else:
                assert row[name] == value, (k, name, row[name], value)
