"""Lines, zones and visits: a frame's tracked people in, its crossings, visits and each
box's zones out.

Knows nothing of models or senders: :class:`Geometry` takes the tracked
:class:`~edge_producer.detections.Detections` of a frame (and the tracker's live ids) and
returns plain records that :class:`~edge_producer.events.EventBuilder` turns into contract
events. Only confirmed tracks cross lines and visit zones; every box, tracked or not, gets the
zones its anchor is in (occupancy). Coordinates are normalised to the frame (docs/zones.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edge_producer.config.geometry import GeometryConfig
from edge_producer.detections import UNTRACKED, Detections
from edge_producer.frames import Frame
from edge_producer.geometry.lines import Crossing, LineCounter
from edge_producer.geometry.zones import EndReason, Visit, VisitTracker

__all__ = ["Crossing", "Geometry", "GeometryStep", "Visit", "anchors"]


def anchors(xyxy: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) bottom-centre and centre points of pixel boxes, normalised to the frame."""
    bottom = np.empty((len(xyxy), 2))
    bottom[:, 0] = (xyxy[:, 0] + xyxy[:, 2]) / (2 * width)
    bottom[:, 1] = xyxy[:, 3] / height
    center = bottom.copy()
    center[:, 1] = (xyxy[:, 1] + xyxy[:, 3]) / (2 * height)
    return bottom, center


def _pick(bottom: np.ndarray, center: np.ndarray, uses_center: np.ndarray) -> np.ndarray:
    """(N, K, 2) each box's anchor for each of K lines or zones."""
    return np.where(uses_center[None, :, None], center[:, None, :], bottom[:, None, :])


@dataclass
class GeometryStep:
    """What one frame gave."""

    zones: list[list[str]] | None = None
    """Per detection, the ids of the zones its anchor is in; None when there are no zones."""
    crossings: list[Crossing] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)


class Geometry:
    """One camera's lines and zones, and the per-track state behind crossings and visits."""

    def __init__(self, config: GeometryConfig) -> None:
        self.config = config
        self.lines = LineCounter(config.lines)
        self.zones = VisitTracker(config.zones)

    @property
    def version(self) -> str:
        return self.config.version

    def update(self, frame: Frame, people: Detections, active_ids: np.ndarray) -> GeometryStep:
        """One frame's tracked people (``active_ids``: the tracker's live confirmed tracks,
        seen or not this frame; state of any other track is dropped)."""
        bottom, center = anchors(people.xyxy, frame.width, frame.height)
        tracked = people.track_id != UNTRACKED
        ids = people.track_id[tracked]
        step = GeometryStep()
        if self.config.lines:
            points = _pick(bottom[tracked], center[tracked], self.lines.uses_center)
            step.crossings = self.lines.update(ids, points, frame.frame_id, frame.captured_at)
        if self.config.zones:
            inside = self.zones.inside(_pick(bottom, center, self.zones.uses_center))
            names = [z.id for z in self.config.zones]
            step.zones = [[names[z] for z in np.flatnonzero(row)] for row in inside]
            step.visits = self.zones.update(ids, inside[tracked], frame.captured_at)
        alive = set(active_ids.tolist())
        self.lines.keep(alive)
        step.visits += self.zones.keep(alive)
        return step

    def finish(self, reason: EndReason) -> list[Visit]:
        """End every open visit (``stream_end`` or ``shutdown``) and forget every track."""
        self.lines.clear()
        return self.zones.finish(reason)
