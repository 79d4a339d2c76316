"""A video file: anything OpenCV decodes, stamped with the file's own timestamps."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import cv2

from edge_producer.config import SourceConfig
from edge_producer.sources.base import SourceError
from edge_producer.sources.capture import CaptureSource
from edge_producer.sources.processing import utc_now

DEFAULT_FPS = 25.0
"""Frame rate assumed when the file reports none (FFmpeg's own guess)."""


def open_video(path: Path) -> cv2.VideoCapture:
    """Open a video file with whatever backend OpenCV picks, or raise SourceError."""
    if not path.is_file():
        raise SourceError(f"video file not found: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise SourceError(f"cannot decode video file: {path} (OpenCV cannot open it)")
    return cap


class FileSource(CaptureSource):
    """Frames of a video file.

    - ``frame_id`` is the frame's index in the file from 0, also for skipped frames, so events
      line up with the video. When looping, pass k adds k x (frames in the file), so ids stay
      unique and keep increasing.
    - ``captured_at`` is ``start_time`` (default: when the source was opened) plus the frame's
      own timestamp: ``CAP_PROP_POS_MSEC`` read right after ``grab()`` (0 ms for frame 0), or
      index / fps where the container gives none usable (negative, or not after the previous
      frame's). When looping, pass k adds k x (the file's duration: last timestamp plus one
      frame period), so time never goes backwards.
    - ``target_fps`` skips by those timestamps: processed frames are at least 1/target_fps
      apart (within 1 ms).
    - A file OpenCV cannot open, or whose first frame does not decode, raises SourceError;
      a frame that fails to decode later is logged and skipped.
    """

    def __init__(self, config: SourceConfig) -> None:
        self.path = Path(config.uri).expanduser()
        super().__init__(config, open_video(self.path), f"video file {self.path}")
        self._start = config.start_time or utc_now()
        self._period_s = 1.0 / (self.nominal_fps or DEFAULT_FPS)
        self._index = 0
        """Index of the next frame within the current pass."""
        self._last_s = 0.0
        """Stream time in seconds of the last grabbed frame within the current pass."""
        self._pass_id = 0
        self._pass_s = 0.0

    def _stamp(self) -> tuple[int, datetime]:
        pos_s = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
        usable = math.isfinite(pos_s) and pos_s >= 0 and (self._index == 0 or pos_s > self._last_s)
        if not usable:
            pos_s = max(self._index * self._period_s, self._last_s)
        frame_id = self._pass_id + self._index
        self._index += 1
        self._last_s = pos_s
        return frame_id, self._start + timedelta(seconds=self._pass_s + pos_s)

    def _after_failed_grab(self) -> bool:
        if self._index == 0:
            raise SourceError(f"cannot decode video file: {self.path} (no frame decodes)")
        if not self.config.loop:
            return False
        self._pass_id += self._index
        self._pass_s += self._last_s + self._period_s
        self._index = 0
        self._last_s = 0.0
        self._capture.replace(open_video(self.path))
        return True
