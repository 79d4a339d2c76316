"""Synthetic streams of the geometry events for the jobs' tests, in plain Python: line
crossings, zone visits, and person detections with zones. Like edge_producer/simulate.py's
streams: several cameras, arrival jittered below the watermark delay, some malformed lines
(each breaking one contract rule), some valid events arriving far too late. Ground truth
(valid, malformed, late) is kept apart, in the same `Stream`.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable
from datetime import timedelta

from contracts.timefmt import format_ts
from edge_producer.simulate import T0, Stream

LINES = ("door", "stairs")
ZONES = ("entrance", "checkout", "aisle-7")
CAMERAS, MINUTES = 3, 5  # of the crossings and visits streams


def _arrange(
    rng: random.Random,
    timed: list[tuple[float, dict]],
    breakers: list[Callable[[dict], dict | str]],
    *,
    jitter_s: float,
    malformed_rate: float,
    late_rate: float,
) -> Stream:
    """Lines in arrival order: each event at its time plus a jitter, a `late_rate` of them 90 s
    behind (late), a `malformed_rate` replaced by a copy one of `breakers` broke."""
    stream, arrivals = Stream(), []
    for t, event in timed:
        roll = rng.random()
        if roll < malformed_rate:
            bad = rng.choice(breakers)(dict(event))
            line = bad if isinstance(bad, str) else json.dumps(bad)
            stream.malformed.append(("broken", line))
            arrivals.append((t + rng.uniform(0, jitter_s), event["camera_id"], line))
            continue
        late = roll < malformed_rate + late_rate
        stream.valid.append(event)
        if late:
            stream.late.append(event)
        arrival = t + (90 if late else rng.uniform(0, jitter_s))
        arrivals.append((arrival, event["camera_id"], json.dumps(event)))
    arrivals.sort(key=lambda a: a[0])
    stream.lines = [(camera, line) for _, camera, line in arrivals]
    return stream


def _event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


CROSSING_BREAKERS: list[Callable[[dict], dict | str]] = [
    lambda e: json.dumps(e)[:-9],  # cut short
    lambda e: e | {"image": "aGVsbG8="},  # an unknown key (and a privacy breach)
    lambda e: e | {"direction": "sideways"},
    lambda e: e | {"gender": None},
    lambda e: e | {"track_id": str(e["track_id"])},
    lambda e: e | {"line_id": "x" * 129},
    lambda e: {k: v for k, v in e.items() if k != "event_id"},
    lambda e: e | {"schema": "line_crossings/v2"},
    lambda e: e | {"captured_at": e["captured_at"].replace("Z", "+00:00")},
]
VISIT_BREAKERS: list[Callable[[dict], dict | str]] = [
    lambda e: json.dumps(e)[:-9],
    lambda e: e | {"captured_at": e["exited_at"]},  # not a key of zone visits
    lambda e: e | {"dwell_s": e["dwell_s"] + 0.01},
    lambda e: e | {"entered_at": e["exited_at"], "exited_at": e["entered_at"]},
    lambda e: e | {"end_reason": "timeout"},
    lambda e: {k: v for k, v in e.items() if k != "zone_id"},
    lambda e: e | {"dwell_s": -1},
    lambda e: e | {"event_id": e["event_id"].upper()},
]


def _stream(
    seed: int,
    event: Callable[[random.Random, int, int, int], tuple[float, dict]],
    *,
    minutes: int,
    per_minute: int,
    breakers: list[Callable[[dict], dict | str]],
    malformed_rate: float,
    late_rate: float,
) -> Stream:
    """`per_minute` events a camera and minute over `minutes`, each `event(rng, camera, i,
    minutes)`: (its time in seconds after T0, the event), arranged in arrival order
    (`_arrange`, 3 s of jitter)."""
    rng = random.Random(seed)
    timed = [event(rng, c, i, minutes) for c in range(CAMERAS) for i in range(minutes * per_minute)]
    timed.sort(key=lambda x: x[0])
    return _arrange(
        rng, timed, breakers, jitter_s=3.0, malformed_rate=malformed_rate, late_rate=late_rate
    )


def _crossing(rng: random.Random, c: int, i: int, minutes: int) -> tuple[float, dict]:
    t = rng.uniform(0, minutes * 60)
    event = {
        "site_id": f"site-{c % 2}",
        "camera_id": f"cam-{c}",
        "track_id": i,
        "line_id": rng.choice(LINES),
        "direction": rng.choice(("in", "out")),
        "frame_id": int(t * 5),
        "captured_at": format_ts(T0 + timedelta(milliseconds=round(t * 1000))),
        "geometry_version": "2026-11-01",
        "event_id": _event_id(rng),
        "schema": "line_crossings/v1",
    }
    gender = rng.choice(("male", "female", None))
    if gender:
        event["gender"] = gender
    return t, event


def crossings(seed: int = 5, *, minutes: int = MINUTES, late_rate: float = 0.02) -> Stream:
    """line_crossings/v1: three cameras' tracks crossing their lines in and out over
    `minutes`, a third of them without a gender."""
    return _stream(
        seed, _crossing, minutes=minutes, per_minute=30, breakers=CROSSING_BREAKERS,
        malformed_rate=0.03, late_rate=late_rate,
    )  # fmt: skip


def _visit(rng: random.Random, c: int, i: int, minutes: int) -> tuple[float, dict]:
    end_ms = rng.randint(0, minutes * 60_000)
    span_ms = rng.choice((0, rng.randint(1, 5000), rng.randint(5000, 240_000)))
    exited = T0 + timedelta(milliseconds=end_ms)
    event = {
        "site_id": f"site-{c % 2}",
        "camera_id": f"cam-{c}",
        "track_id": i,
        "zone_id": rng.choice(ZONES),
        "entered_at": format_ts(exited - timedelta(milliseconds=span_ms)),
        "exited_at": format_ts(exited),
        "dwell_s": span_ms / 1000 + rng.choice((0, 0, 0.001, -0.0005)) * (span_ms > 0),
        "end_reason": rng.choice(("left", "lost", "stream_end", "shutdown")),
        "geometry_version": "2026-11-01",
        "event_id": _event_id(rng),
        "schema": "zone_visits/v1",
    }
    return end_ms / 1000, event


def visits(seed: int = 7, *, minutes: int = MINUTES, late_rate: float = 0.02) -> Stream:
    """zone_visits/v1: three cameras' visits of 0 to 4 minutes over `minutes`, timed by their
    end (exited_at); dwell_s is the span in seconds, sometimes up to 1 ms off (the contract
    allows 1.5)."""
    return _stream(
        seed, _visit, minutes=minutes, per_minute=12, breakers=VISIT_BREAKERS,
        malformed_rate=0.04, late_rate=late_rate,
    )  # fmt: skip


def with_zones(stream: Stream, *, seed: int = 11) -> Stream:
    """The person stream with zones on its valid events' detections, as an edge with a geometry
    sends them: most detections in zero to two zones, some without the key (a camera without
    zones). The malformed lines stay as they were."""
    rng = random.Random(seed)
    zoned: dict[str, dict] = {}  # old line -> the event with zones
    for e in stream.valid:
        camera_has_zones = e["camera_id"] != "cam-2"
        detections = [
            d | {"zones": rng.sample(ZONES, rng.choice((0, 1, 1, 2)))} if camera_has_zones else d
            for d in e["detections"]
        ]
        zoned[json.dumps(e)] = e | {"detections": detections}
    new = lambda e: zoned[json.dumps(e)]  # noqa: E731
    lines = [(c, json.dumps(zoned[x]) if x in zoned else x) for c, x in stream.lines]
    return Stream(lines, [new(e) for e in stream.valid], list(stream.malformed),
                  [new(e) for e in stream.late])  # fmt: skip
