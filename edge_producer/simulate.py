"""Synthetic edge streams for the demo, tests and benchmarks (no camera needed).

The events follow the contract exactly; ground truth is kept apart from the wire text.
Several cameras at a few frames per second; tracks appear and vanish; some detections are
untracked; arrival order is jittered below the watermark delay; one camera goes idle; about
1% of lines are malformed (each labelled with why, so tests can check the DLQ).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from contracts.timefmt import format_ts

T0 = datetime(2026, 11, 23, 20, 0, 0, tzinfo=UTC)


@dataclass
class Stream:
    """What a test feeds to a job, and what the reference needs to know about it."""

    lines: list[tuple[str, str]] = field(default_factory=list)  # (camera_id, raw line) in order
    valid: list[dict] = field(default_factory=list)  # the valid person_detections events
    malformed: list[tuple[str, str]] = field(default_factory=list)  # (kind, raw line)


def _malformed(rng: random.Random, good: dict) -> tuple[str, str]:
    kind = rng.choice(["invalid_json", "missing_field", "wrong_type", "bad_time", "negative"])
    bad = dict(good)
    if kind == "invalid_json":
        return kind, json.dumps(good)[:-7]
    if kind == "missing_field":
        del bad["camera_id"]
    elif kind == "wrong_type":
        bad["people_count"] = str(bad["people_count"])
    elif kind == "bad_time":
        bad["captured_at"] = bad["captured_at"].replace("Z", "+01:00")
    else:
        bad["people_count"] = -1
    return kind, json.dumps(bad)


def person_stream(
    *,
    seed: int = 7,
    cameras: int = 3,
    minutes: float = 3.0,
    fps: float = 2.0,
    jitter_s: float = 2.0,
    idle_after_s: float | None = 40.0,
    malformed_rate: float = 0.01,
    close_after_s: float = 0.0,
    start: datetime = T0,
) -> Stream:
    """Frames from `cameras` cameras (the last one idle after `idle_after_s`).

    `close_after_s` > 0 appends one frame per camera that far past the end, so that every
    earlier window closes; the reference must then ignore windows still open.
    """
    rng = random.Random(seed)
    stream = Stream()
    timed: list[tuple[float, str, str]] = []  # (arrival key, camera, line)
    for c in range(cameras):
        camera, site = f"cam-{c}", f"site-{c % 2}"
        idle = idle_after_s if c == cameras - 1 else None
        tracks: list[int] = []
        next_track = c * 1000
        frame = 0
        t = rng.uniform(0, 1.0 / fps)
        while t < minutes * 60:
            if idle is not None and t > idle:
                break
            tracks = [k for k in tracks if rng.random() > 0.03]
            while rng.random() < 0.06 and len(tracks) < 8:
                tracks.append(next_track)
                next_track += 1
            untracked = 1 if rng.random() < 0.1 else 0
            event = _frame(
                site, camera, frame, start + timedelta(seconds=t), tracks, untracked, rng
            )
            line = json.dumps(event)
            timed.append((t + rng.uniform(0, jitter_s), camera, line))
            stream.valid.append(event)
            if rng.random() < malformed_rate:
                kind, bad = _malformed(rng, event)
                timed.append((t + rng.uniform(0, jitter_s), camera, bad))
                stream.malformed.append((kind, bad))
            frame += 1
            t += 1.0 / fps
        if close_after_s:
            t_close = minutes * 60 + close_after_s
            event = _frame(site, camera, frame, start + timedelta(seconds=t_close), [], 0, rng)
            timed.append((t_close + jitter_s, camera, json.dumps(event)))
            stream.valid.append(event)
    timed.sort(key=lambda x: x[0])
    stream.lines = [(camera, line) for _, camera, line in timed]
    return stream


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


def _box(rng: random.Random) -> list[float]:
    x, y = rng.uniform(0, 600), rng.uniform(0, 300)
    return [
        round(x, 1),
        round(y, 1),
        round(x + rng.uniform(20, 80), 1),
        round(y + rng.uniform(60, 160), 1),
    ]
