"""Tracker base: gives detections stable track ids across frames."""

from __future__ import annotations

from abc import ABC, abstractmethod

from edge_producer.detections import Detections


class Tracker(ABC):
    """Matches each frame's detections to tracks."""

    @abstractmethod
    def update(self, detections: Detections) -> Detections:
        """Feed one processed frame's detections (call it for every processed frame, also
        with no detections, so tracks age). Returns the same rows in the same order, with
        ``track_id`` set for detections on confirmed tracks and ``UNTRACKED`` (-1) for the
        rest. Unconfirmed tracks never expose an id, and no id is ever given to two live
        tracks."""

    @abstractmethod
    def reset(self) -> None:
        """Forget every track (ids keep increasing: an id is never reused)."""
