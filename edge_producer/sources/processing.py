"""What every source does to frames: capture clock, frame skipping and resizing."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import datetime

import cv2
import numpy as np

from contracts.timefmt import UTC
from edge_producer.frames import Frame

SKIP_TOLERANCE_S = 0.001
"""Timestamps are rounded (to microseconds here, to milliseconds by some containers): frames
this much closer than 1/target_fps still count as spaced far enough."""


def utc_now() -> datetime:
    """The capture clock: aware UTC wall-clock time."""
    return datetime.now(UTC)


class FrameSkipper:
    """Keeps frames spaced at least 1/target_fps apart in capture time (all of them if None)."""

    def __init__(self, target_fps: float | None) -> None:
        self._period_s = 0.0 if target_fps is None else 1.0 / target_fps
        self._last: datetime | None = None

    def due(self, captured_at: datetime) -> bool:
        """Whether a frame captured at this time should be processed."""
        if self._last is None:
            return True
        return (captured_at - self._last).total_seconds() >= self._period_s - SKIP_TOLERANCE_S

    def mark(self, captured_at: datetime) -> None:
        """Record that the frame captured at this time was processed."""
        self._last = captured_at


def resize(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """The image resized to (width, height); unchanged when size is None or already that."""
    if size is None or (image.shape[1], image.shape[0]) == size:
        return image
    shrinking = size[0] * size[1] < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, size, interpolation=interpolation)


def paced(frames: Iterable[Frame]) -> Iterator[Frame]:
    """The frames, each delivered no earlier than its capture-time offset from the first
    (wall clock): a file played as a live camera."""
    first: tuple[datetime, float] | None = None
    for frame in frames:
        if first is None:
            first = (frame.captured_at, time.monotonic())
        due = first[1] + (frame.captured_at - first[0]).total_seconds()
        time.sleep(max(0.0, due - time.monotonic()))
        yield frame
