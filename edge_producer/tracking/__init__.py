"""Multi-object tracking: gives each frame's detections stable track ids."""

from __future__ import annotations

from edge_producer.config import TrackerConfig
from edge_producer.tracking.base import Tracker
from edge_producer.tracking.bytetrack import ByteTracker

__all__ = ["ByteTracker", "Tracker", "make_tracker"]


def make_tracker(config: TrackerConfig) -> Tracker:
    """The tracker described by ``config`` (ByteTrack)."""
    return ByteTracker(
        high_score=config.high_score,
        iou_threshold=config.iou_threshold,
        min_hits=config.min_hits,
        max_age=config.max_age,
        confirm_score=config.confirm_score,
    )
