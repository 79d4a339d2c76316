"""Live sources: frames stamped by the capture clock when they are grabbed."""

from __future__ import annotations

from datetime import datetime

import cv2

from edge_producer.config import SourceConfig
from edge_producer.sources.base import SourceError
from edge_producer.sources.capture import CaptureSource
from edge_producer.sources.processing import utc_now


class LiveSource(CaptureSource):
    """A camera or stream: nothing ends it but :meth:`close` or ``max_frames``.

    - ``captured_at`` is the capture clock (aware UTC) read right after ``grab()``, before
      the frame is decoded or processed.
    - ``frame_id`` counts the frames grabbed since the source opened, skipped ones included.
    - ``target_fps`` skips on that clock: processed frames are at least 1/target_fps apart
      (within 1 ms), so timing jitter can make the processed rate lower than target_fps.
    - A camera that stops delivering frames raises SourceError (streams reconnect instead).
    """

    def __init__(self, config: SourceConfig, cap: cv2.VideoCapture, label: str) -> None:
        super().__init__(config, cap, label)
        self._grabbed = 0

    def _stamp(self) -> tuple[int, datetime]:
        captured_at = utc_now()
        frame_id = self._grabbed
        self._grabbed += 1
        return frame_id, captured_at

    def _after_failed_grab(self) -> bool:
        raise SourceError(f"{self.label} stopped delivering frames")
