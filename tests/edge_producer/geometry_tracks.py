"""Synthetic tracks for the geometry tests: people as boxes whose feet walk given paths."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np

from contracts.timefmt import UTC
from edge_producer.config import GeometryConfig
from edge_producer.detections import UNTRACKED, Detections
from edge_producer.frames import Frame
from edge_producer.geometry import Geometry, GeometryStep

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
FPS = 10.0

Feet = tuple[float, float] | None
"""A person's feet (bottom centre of the box) in normalised coordinates; None: not seen."""


def geometry(lines: Sequence[dict] = (), zones: Sequence[dict] = ()) -> Geometry:
    return Geometry(
        GeometryConfig.model_validate({"version": "t1", "lines": lines, "zones": zones})
    )


def feet_box(x: float, y: float, width: int, height: int) -> list[float]:
    """A 0.05 x 0.3 (of the frame) box whose bottom centre is at normalised (x, y)."""
    w, h = 0.05 * width, 0.3 * height
    return [x * width - w / 2, y * height - h, x * width + w / 2, y * height]


def walk(
    geo: Geometry,
    paths: dict[int, Sequence[Feet]],
    size: tuple[int, int] = (640, 360),
    alive: dict[int, int] | None = None,
) -> list[GeometryStep]:
    """Feed frame i the people ``{track_id: path[i]}`` (track_id -1: untracked). ``alive``:
    track id -> the last frame the tracker keeps it (default: to the end)."""
    width, height = size
    image = np.zeros((height, width, 3), dtype=np.uint8)
    steps = []
    for i in range(max(len(p) for p in paths.values())):
        seen = {tid: p[i] for tid, p in paths.items() if i < len(p) and p[i] is not None}
        boxes = [feet_box(x, y, width, height) for x, y in seen.values()]
        people = Detections(
            np.array(boxes, dtype=np.float32).reshape(-1, 4),
            np.full(len(boxes), 0.9),
            track_id=np.array(list(seen), dtype=np.int64),
        )
        active = np.array(
            [t for t in paths if t != UNTRACKED and (alive or {}).get(t, 10**9) >= i],
            dtype=np.int64,
        )
        frame = Frame(image, i, START + timedelta(seconds=i / FPS))
        steps.append(geo.update(frame, people, active))
    return steps


def crossings(steps: list[GeometryStep]) -> list[tuple[int, str, str, int]]:
    """(track, line, direction, frame_id) of every crossing."""
    return [(c.track_id, c.line_id, c.direction, c.frame_id) for s in steps for c in s.crossings]


def at(frame: int) -> datetime:
    return START + timedelta(seconds=frame / FPS)
