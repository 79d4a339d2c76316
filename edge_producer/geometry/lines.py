"""Counting lines: which side of each line a track is on, and when it crosses.

Sides come from one vectorised cross product over every (track, line) pair of a frame:
``(x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)``, negative on the line's left (as seen on
screen, y down: the left hand of someone walking from start to end). Scaling x and y by the
frame's size multiplies it by a positive number, so normalised and pixel coordinates agree.

Per (track, line) the counter keeps the track's settled side and the last point it was seen
on there. A crossing counts when a new side holds ``min_frames`` processed frames outside the
dead band, and the segment from that last point on the old side to the first point on the new
side meets the line segment itself (a walk around the line's end does not count; a jump over
the line between two frames does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np

from edge_producer.config.geometry import LineConfig

Direction = Literal["in", "out"]


@dataclass(frozen=True)
class Crossing:
    """A track crossed a line; frame_id and captured_at are the first frame on the new side."""

    track_id: int
    line_id: str
    direction: Direction
    frame_id: int
    captured_at: datetime


def cross_products(points: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """(N, L) ``(x2 - x1) * (py - y1) - (y2 - y1) * (px - x1)`` of N points (N, L, 2) or
    (N, 2) against L lines (L, 2 starts and ends)."""
    points = points if points.ndim == 3 else points[:, None, :]
    d = ends - starts
    rel = points - starts[None]
    return d[None, :, 0] * rel[..., 1] - d[None, :, 1] * rel[..., 0]


def segments_meet(p1: np.ndarray, p2: np.ndarray, q1: np.ndarray, q2: np.ndarray) -> bool:
    """Whether segment p1-p2 meets segment q1-q2 (touching an end counts)."""

    def orient(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    return (
        orient(q1, q2, p1) * orient(q1, q2, p2) <= 0
        and orient(p1, p2, q1) * orient(p1, p2, q2) <= 0
    )


@dataclass
class _TrackSide:
    """One track against one line."""

    side: int
    """The settled side: -1 (left) or +1 (right)."""
    last: np.ndarray
    """The last point seen on the settled side."""
    pending: int = 0
    """Frames in a row seen on the other side (0: none)."""
    first: np.ndarray | None = None
    """The first point seen on the other side."""
    first_frame: tuple[int, datetime] | None = None


class LineCounter:
    """Counts the crossings of confirmed tracks over a camera's lines."""

    def __init__(self, lines: Sequence[LineConfig]) -> None:
        self.lines = list(lines)
        self.starts = np.array([line.points[0] for line in lines], dtype=np.float64).reshape(-1, 2)
        self.ends = np.array([line.points[1] for line in lines], dtype=np.float64).reshape(-1, 2)
        lengths = np.hypot(*(self.ends - self.starts).T)
        self._band = np.array([line.dead_band for line in lines]) * lengths
        """Each line's dead band in cross-product units (distance x length)."""
        self._in_sign = np.array([-1 if line.in_side == "left" else 1 for line in lines])
        self.uses_center = np.array([line.anchor == "center" for line in lines], dtype=bool)
        self._state: dict[tuple[int, int], _TrackSide] = {}

    def update(
        self, track_ids: np.ndarray, points: np.ndarray, frame_id: int, captured_at: datetime
    ) -> list[Crossing]:
        """Feed one frame's confirmed tracks (ids and their (N, L, 2) anchor points per line);
        returns the crossings completed in this frame."""
        if not len(track_ids) or not self.lines:
            return []
        cross = cross_products(points, self.starts, self.ends)
        sides = np.where(cross < -self._band, -1, np.where(cross > self._band, 1, 0))
        crossings = []
        for i, j in zip(*np.nonzero(sides), strict=True):  # outside the dead band only
            crossing = self._step(
                int(track_ids[i]), int(j), int(sides[i, j]), points[i, j], frame_id, captured_at
            )
            if crossing is not None:
                crossings.append(crossing)
        return crossings

    def _step(
        self, tid: int, j: int, side: int, point: np.ndarray, frame_id: int, at: datetime
    ) -> Crossing | None:
        state = self._state.get((tid, j))
        if state is None:
            self._state[(tid, j)] = _TrackSide(side, point)
            return None
        if side == state.side:
            state.last, state.pending, state.first, state.first_frame = point, 0, None, None
            return None
        if not state.pending:
            state.first, state.first_frame = point, (frame_id, at)
        state.pending += 1
        if state.pending < self.lines[j].min_frames:
            return None
        assert state.first is not None and state.first_frame is not None
        crossed = segments_meet(state.last, state.first, self.starts[j], self.ends[j])
        first_frame = state.first_frame
        self._state[(tid, j)] = _TrackSide(side, point)
        if not crossed:  # it went round the line's end
            return None
        direction: Direction = "in" if side == self._in_sign[j] else "out"
        return Crossing(tid, self.lines[j].id, direction, *first_frame)

    def keep(self, alive: set[int]) -> None:
        """Forget the tracks the tracker has dropped."""
        if any(key[0] not in alive for key in self._state):
            self._state = {key: s for key, s in self._state.items() if key[0] in alive}

    def clear(self) -> None:
        self._state.clear()
