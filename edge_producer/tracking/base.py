"""Tracker base: gives detections stable track ids across frames."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

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

    @property
    @abstractmethod
    def active_ids(self) -> np.ndarray:
        """Ids of the confirmed tracks alive now, seen this frame or not; a track missing
        here has been dropped for good (its id never comes back)."""

    @abstractmethod
    def reset(self) -> None:
        """Forget every track (ids keep increasing: an id is never reused)."""
