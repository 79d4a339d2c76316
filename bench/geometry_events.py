"""Synthetic geometry streams for bench.jobs_throughput: line crossings, zone visits, and zones
on the person stream's detections. Contract-valid (contracts.events.LineCrossing, ZoneVisit),
in event-time order across cameras, with a `malformed_rate` of lines broken one way or another
(dead letters) and none late.

- crossings: per camera two lines, a crossing every few seconds on each (exponential gaps,
  mean 4 s), in or out, two thirds with the track's gender;
- visits: per camera three zones, a visit ending every few seconds in each (mean 5 s), lasting
  3 to 300 s (log-uniform);
- zones on detections: a person in none, one or two of the camera's three zones.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

from contracts.timefmt import format_ts
from edge_producer.simulate import T0

Line = tuple[str, str]  # (camera_id: the Kafka key, the JSON text)
LINES = ("door", "stairs")
ZONES = ("entrance", "checkout", "aisle-7")
SPAN_S = 3600.0  # an hour of each camera


def _event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _at(t: float) -> str:
    return format_ts(T0 + timedelta(milliseconds=round(t * 1000)))


def _place(camera: int, key: str, place: str, schema: str) -> dict:
    """What all of a camera's events on one line or zone have in common."""
    site, cam = f"site-{camera % 10}", f"cam-{camera}"
    return {
        "schema": schema,
        "site_id": site,
        "camera_id": cam,
        key: place,
        "geometry_version": "g1",
    }


def _crossings_of(camera: int, line: str, rng: random.Random) -> Iterator[tuple[float, dict]]:
    common = _place(camera, "line_id", line, "line_crossings/v1")
    t = rng.expovariate(1 / 4)
    while t < SPAN_S:
        gender = rng.choice(({"gender": "male"}, {"gender": "female"}, {}))
        direction = rng.choice(("in", "out"))
        track, frame = rng.randrange(1, 1 << 20), int(t * 10)
        yield t, common | gender | {"direction": direction, "track_id": track, "frame_id": frame,
                                    "captured_at": _at(t), "event_id": _event_id(rng)}  # fmt: skip
        t += rng.expovariate(1 / 4)


def _visits_of(camera: int, zone: str, rng: random.Random) -> Iterator[tuple[float, dict]]:
    common = _place(camera, "zone_id", zone, "zone_visits/v1")
    end = rng.expovariate(1 / 5)
    while end < SPAN_S:
        dwell_ms = round(math.exp(rng.uniform(math.log(3), math.log(300))) * 1000)
        end_ms = round(end * 1000)
        reason = rng.choice(("left", "left", "left", "lost"))
        times = {"entered_at": _at((end_ms - dwell_ms) / 1000), "exited_at": _at(end_ms / 1000)}
        yield end, common | times | {"dwell_s": dwell_ms / 1000, "end_reason": reason,
                                     "track_id": rng.randrange(1, 1 << 20),
                                     "event_id": _event_id(rng)}  # fmt: skip
        end += rng.expovariate(1 / 5)


def _broken(event: dict, rng: random.Random) -> str:
    """The event with one contract rule broken: cut short, an unknown key, or no event_id."""
    how = rng.randrange(3)
    if how == 0:
        return json.dumps(event)[:-7]
    if how == 1:
        return json.dumps(event | {"image": "aGVsbG8="})
    return json.dumps({k: v for k, v in event.items() if k != "event_id"})


def _stream(
    events: int,
    per_camera: float,
    make: Callable[[int, str, random.Random], Iterator[tuple[float, dict]]],
    places: tuple[str, ...],
    seed: int,
    malformed_rate: float,
) -> list[Line]:
    """About `events` events of `per_camera` a camera, each camera's lines or zones (`places`)
    made by `make`, merged in time order."""
    cameras = max(1, round(events / per_camera))
    rng = random.Random(seed)
    each = [make(c, place, rng) for c in range(cameras) for place in places]
    merged = heapq.merge(*each, key=lambda te: te[0])
    return [
        (e["camera_id"], _broken(e, rng) if rng.random() < malformed_rate else json.dumps(e))
        for _, e in merged
    ]


def crossings(events: int, seed: int = 19, malformed_rate: float = 0.01) -> list[Line]:
    """About `events` line_crossings/v1 events (an hour per camera: 1,800 on its two lines)."""
    return _stream(events, 2 * SPAN_S / 4, _crossings_of, LINES, seed, malformed_rate)


def visits(events: int, seed: int = 23, malformed_rate: float = 0.01) -> list[Line]:
    """About `events` zone_visits/v1 events (an hour per camera: 2,160 in its three zones)."""
    return _stream(events, 3 * SPAN_S / 5, _visits_of, ZONES, seed, malformed_rate)


def with_zones(lines: list[Line], seed: int = 29) -> list[Line]:
    """The person stream with zones on every detection of its well-formed events (none, one or
    two of the camera's zones); other lines unchanged."""
    rng = random.Random(seed)
    out = []
    for camera, line in lines:
        try:
            event = json.loads(line)
            detections = event["detections"]
            zoned = [d | {"zones": rng.sample(ZONES, rng.choice((0, 1, 1, 2)))} for d in detections]
        except (ValueError, TypeError, KeyError):
            out.append((camera, line))
            continue
        out.append((camera, json.dumps(event | {"detections": zoned})))
    return out
