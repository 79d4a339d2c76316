"""Zones: which zones each box is in, and each confirmed track's visits.

A point is in a polygon when a ray from it crosses the polygon's edges an odd number of times
or when it lies on an edge (the boundary counts inside), both vectorised over every point of
a frame. A visit starts once a track is in the zone for ``min_frames`` processed frames (its
``entered_at`` is the first of them) and ends when the track has been out of the zone, or
unseen, for more than ``exit_grace_s`` of capture time (``left``), when the tracker drops it
(``lost``), or when the stream ends or the edge stops (:meth:`VisitTracker.finish`). Its
``exited_at`` is always its last frame in the zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from edge_producer.config.geometry import ZoneConfig

EndReason = Literal["left", "lost", "stream_end", "shutdown"]
_ON_EDGE = 1e-12
"""Squared distance (normalised units) under which a point is on an edge."""


@dataclass(frozen=True)
class Visit:
    """A finished visit of a track to a zone."""

    track_id: int
    zone_id: str
    entered_at: datetime
    exited_at: datetime
    end_reason: EndReason


def polygon_edges(polygon: np.ndarray) -> tuple[np.ndarray, ...]:
    """A polygon's (K, 2) edge starts, ends, vectors and squared lengths, computed once."""
    a = np.asarray(polygon, dtype=np.float64)
    b = np.roll(a, -1, axis=0)
    ab = b - a
    return a, b, ab, (ab**2).sum(axis=1)


def in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """(N,) whether each of N points (N, 2) is inside the polygon (K, 2) or on its boundary."""
    return inside_edges(points, polygon_edges(polygon))


def inside_edges(points: np.ndarray, edges: tuple[np.ndarray, ...]) -> np.ndarray:
    """:func:`in_polygon` with the polygon's :func:`polygon_edges`."""
    a, b, ab, length2 = edges
    px, py = points[:, 0, None], points[:, 1, None]
    straddles = (a[:, 1] > py) != (b[:, 1] > py)
    dy = np.where(ab[:, 1] == 0, 1.0, ab[:, 1])  # a flat edge straddles nothing anyway
    odd = (straddles & (px < a[:, 0] + ab[:, 0] * (py - a[:, 1]) / dy)).sum(axis=1) % 2 == 1
    rel = points[:, None, :] - a
    t = np.clip((rel * ab).sum(axis=2) / length2, 0.0, 1.0)
    on_edge = (((rel - t[..., None] * ab) ** 2).sum(axis=2) <= _ON_EDGE).any(axis=1)
    return odd | on_edge


@dataclass
class _Presence:
    """One track in one zone: a run of in-zone frames before the visit starts, then the
    visit's times."""

    run: int = 0
    run_start: datetime | None = None
    entered_at: datetime | None = None
    last_in: datetime | None = None


class VisitTracker:
    """The visits of confirmed tracks to a camera's zones."""

    def __init__(self, zones: Sequence[ZoneConfig]) -> None:
        self.zones = list(zones)
        self._edges = [polygon_edges(np.array(z.polygon)) for z in zones]
        self.uses_center = np.array([z.anchor == "center" for z in zones], dtype=bool)
        self._grace = [timedelta(seconds=z.exit_grace_s) for z in zones]
        self._state: dict[tuple[int, int], _Presence] = {}

    def inside(self, points: np.ndarray) -> np.ndarray:
        """(N, Z) whether each box is in each zone, from its (N, Z, 2) anchor points."""
        if not len(points):
            return np.zeros((0, len(self.zones)), dtype=bool)
        return np.stack([inside_edges(points[:, z], e) for z, e in enumerate(self._edges)], axis=1)

    def update(self, track_ids: np.ndarray, inside: np.ndarray, now: datetime) -> list[Visit]:
        """Feed one frame's confirmed tracks and their (N, Z) zone membership; returns the
        visits that ended as ``left`` in this frame."""
        for i, tid in enumerate(track_ids.tolist()):
            for z in range(len(self.zones)):
                key = (tid, z)
                if inside[i, z]:
                    self._seen_in(self._state.setdefault(key, _Presence()), z, now)
                elif key in self._state:
                    state = self._state[key]
                    state.run, state.run_start = 0, None
        ended = []
        for (tid, z), state in list(self._state.items()):
            if state.last_in is not None and now - state.last_in > self._grace[z]:
                ended.append(self._end(tid, z, "left"))
        return ended

    def _seen_in(self, state: _Presence, z: int, now: datetime) -> None:
        if state.entered_at is not None:
            state.last_in = now
            return
        if not state.run:
            state.run_start = now
        state.run += 1
        if state.run >= self.zones[z].min_frames:
            state.entered_at, state.last_in = state.run_start, now

    def _end(self, tid: int, z: int, reason: EndReason) -> Visit:
        state = self._state.pop((tid, z))
        assert state.entered_at is not None and state.last_in is not None
        return Visit(tid, self.zones[z].id, state.entered_at, state.last_in, reason)

    def keep(self, alive: set[int]) -> list[Visit]:
        """End the visits of the tracks the tracker has dropped (``lost``), forget them."""
        lost = [key for key in self._state if key[0] not in alive]
        return self._end_all(lost, "lost") if lost else []

    def finish(self, reason: EndReason) -> list[Visit]:
        """End every open visit (the stream ended or the edge stops) and forget every track."""
        return self._end_all(list(self._state), reason)

    def _end_all(self, keys: list[tuple[int, int]], reason: EndReason) -> list[Visit]:
        visits = []
        for tid, z in keys:
            if self._state[(tid, z)].entered_at is None:
                del self._state[(tid, z)]
            else:
                visits.append(self._end(tid, z, reason))
        return visits
