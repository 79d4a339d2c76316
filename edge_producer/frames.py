"""A frame as it leaves a video source: pixels, index and capture time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One frame. ``image`` stays on the device: nothing built from it leaves the edge."""

    image: np.ndarray
    """HxWx3 uint8 BGR pixels (OpenCV's order)."""
    frame_id: int
    """For a file: the frame's index in the file from 0, also when frames are skipped. For a
    live source: a counter of frames read from the camera since the source opened."""
    captured_at: datetime
    """Aware UTC capture time: for a file, the configured start time plus the stream's own
    timestamp; for a live source, the capture clock when the frame was grabbed."""
    restart: bool = False
    """The first frame after the source started again (a looping file or folder from its
    start, a stream after a reconnect): the scene jumps, so the pipeline ends its tracks."""

    def __post_init__(self) -> None:
        if self.captured_at.tzinfo is None or self.captured_at.utcoffset() is None:
            raise ValueError("Frame.captured_at must be timezone-aware (UTC)")

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])
