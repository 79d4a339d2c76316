"""Synthetic edge streams for the demo, tests and benchmarks (no camera needed).

Several cameras at a few frames per second; tracks appear and vanish, each with a true gender
and a noisy classifier voting on it; some detections and faces are untracked; arrival order is
jittered below the watermark delay; one camera goes idle; about 1% of lines are malformed, and
optionally some valid events arrive far too late. The events follow the contract exactly;
ground truth (valid events, malformed lines with their kind, late events) is kept apart.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts.timefmt import UTC, format_ts

T0 = datetime(2026, 11, 23, 20, 0, 0, tzinfo=UTC)
MALFORMED_PERSON = ("invalid_json", "missing_field", "wrong_type", "bad_time", "negative")
MALFORMED_GENDER = ("invalid_json", "missing_field", "wrong_type", "bad_time", "bad_gender")


@dataclass
class Stream:
    """One topic's worth of lines in arrival order, and what a reference needs to know."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # (camera_id, raw line)
    valid: list[dict] = field(default_factory=list)  # valid events (late ones included)
    malformed: list[tuple[str, str]] = field(default_factory=list)  # (kind, raw line)
    late: list[dict] = field(default_factory=list)  # valid events sent far behind their time


@dataclass
class Streams:
    person: Stream
    gender: Stream


def _malformed(rng: random.Random, good: dict, kinds: tuple[str, ...]) -> tuple[str, str]:
    kind = rng.choice(kinds)
    bad = dict(good)
    if kind == "invalid_json":
        return kind, json.dumps(good)[:-7]
    if kind == "missing_field":
        del bad["camera_id"]
    elif kind == "wrong_type":
        key = "people_count" if "people_count" in bad else "confidence"
        bad[key] = str(bad[key])
    elif kind == "bad_time":
        bad["captured_at"] = bad["captured_at"].replace("Z", "+01:00")
    elif kind == "negative":
        bad["people_count"] = -1
    else:
        bad["gender"] = "other"
    return kind, json.dumps(bad)


class _Sink:
    """Collects one stream's events with their arrival keys, then orders them."""

    def __init__(
        self,
        rng: random.Random,
        kinds: tuple[str, ...],
        malformed_rate: float,
        late_rate: float,
        late_by_s: float,
    ) -> None:
        self.rng, self.kinds = rng, kinds
        self.ids = random.Random(rng.random())  # event ids without disturbing the stream's draws
        self.malformed_rate, self.late_rate, self.late_by_s = malformed_rate, late_rate, late_by_s
        self.timed: list[tuple[float, str, str]] = []
        self.stream = Stream()

    def add(self, t: float, jitter_s: float, event: dict) -> None:
        event["event_id"] = str(uuid.UUID(int=self.ids.getrandbits(128), version=4))
        camera = event["camera_id"]
        arrival = t + self.rng.uniform(0, jitter_s)
        if self.late_rate and self.rng.random() < self.late_rate:
            arrival = t + self.late_by_s  # sent long after capture: behind the watermark
            self.stream.late.append(event)
        self.timed.append((arrival, camera, json.dumps(event)))
        self.stream.valid.append(event)
        if self.rng.random() < self.malformed_rate:
            kind, bad = _malformed(self.rng, event, self.kinds)
            self.timed.append((t + self.rng.uniform(0, jitter_s), camera, bad))
            self.stream.malformed.append((kind, bad))

    def done(self) -> Stream:
        self.timed.sort(key=lambda x: x[0])
        self.stream.lines = [(camera, line) for _, camera, line in self.timed]
        return self.stream


def simulate(
    *,
    seed: int = 7,
    cameras: int = 3,
    minutes: float = 3.0,
    fps: float = 2.0,
    jitter_s: float = 2.0,
    idle_after_s: float | None = 40.0,
    malformed_rate: float = 0.01,
    late_rate: float = 0.0,
    late_by_s: float = 120.0,
    close_after_s: float = 0.0,
    start: datetime = T0,
    camera_prefix: str = "cam-",
) -> Streams:
    """Frames and face classifications from `cameras` cameras (the last idle after
    `idle_after_s`). `close_after_s` > 0 appends one event per active camera and stream that
    far past the end, so every earlier window closes on a live stream."""
    rng = random.Random(seed)
    person = _Sink(rng, MALFORMED_PERSON, malformed_rate, late_rate, late_by_s)
    gender = _Sink(rng, MALFORMED_GENDER, malformed_rate, late_rate, late_by_s)
    for c in range(cameras):
        camera, site = f"{camera_prefix}{c}", f"site-{c % 2}"
        end = minutes * 60 if c < cameras - 1 or idle_after_s is None else idle_after_s
        tracks: dict[int, str] = {}  # track id -> true gender
        next_track, frame, t = c * 1000, 0, rng.uniform(0, 1.0 / fps)
        while t < end:
            tracks = {k: g for k, g in tracks.items() if rng.random() > 0.03}
            while rng.random() < 0.06 and len(tracks) < 8:
                tracks[next_track] = rng.choice(("male", "female"))
                next_track += 1
            at = start + timedelta(seconds=t)
            untracked = 1 if rng.random() < 0.1 else 0
            person.add(t, jitter_s, _frame(site, camera, frame, at, list(tracks), untracked, rng))
            for track, truth in tracks.items():
                if rng.random() < 0.15:
                    gender.add(t, jitter_s, _face(site, camera, at, track, truth, rng))
            if rng.random() < 0.05:
                gender.add(
                    t, jitter_s, _face(site, camera, at, None, rng.choice(("male", "female")), rng)
                )
            frame += 1
            t += 1.0 / fps
        if close_after_s and end == minutes * 60:  # the idle camera stays silent
            t_close = minutes * 60 + close_after_s
            at = start + timedelta(seconds=t_close)
            person.add(t_close, 0, _frame(site, camera, frame, at, [], 0, rng))
            gender.add(t_close, 0, _face(site, camera, at, None, "female", rng))
    return Streams(person=person.done(), gender=gender.done())


def _frame(
    site: str,
    camera: str,
    frame: int,
    at: datetime,
    tracks: list[int],
    untracked: int,
    rng: random.Random,
) -> dict:
    dets = [
        {"track_id": k, "bbox": _box(rng), "score": round(rng.uniform(0.4, 1), 3)} for k in tracks
    ]
    dets += [{"track_id": None, "bbox": _box(rng), "score": 0.5} for _ in range(untracked)]
    return {
        "site_id": site,
        "camera_id": camera,
        "frame_id": frame,
        "captured_at": format_ts(at),
        "people_count": len(dets),
        "detections": dets,
    }


def _face(
    site: str, camera: str, at: datetime, track: int | None, truth: str, rng: random.Random
) -> dict:
    wrong = {"male": "female", "female": "male"}[truth]
    return {
        "site_id": site,
        "camera_id": camera,
        "captured_at": format_ts(at),
        "track_id": track,
        "gender": truth if rng.random() > 0.2 else wrong,
        "confidence": round(rng.uniform(0.5, 1), 3),
    }


def _box(rng: random.Random) -> list[float]:
    x, y = rng.uniform(0, 600), rng.uniform(0, 300)
    return [
        round(x, 1),
        round(y, 1),
        round(x + rng.uniform(20, 80), 1),
        round(y + rng.uniform(60, 160), 1),
    ]
