"""The read loop shared by every source that reads through ``cv2.VideoCapture``."""

from __future__ import annotations

import logging
import math
import threading
from abc import abstractmethod
from collections.abc import Iterator
from datetime import datetime

import cv2
import numpy as np

from edge_producer.config import SourceConfig
from edge_producer.frames import Frame
from edge_producer.sources.base import VideoSource
from edge_producer.sources.processing import FrameSkipper, resize

log = logging.getLogger(__name__)


class Capture:
    """A ``cv2.VideoCapture`` that :meth:`release` may end from any thread.

    Each call holds a lock, so a release from another thread waits for a running grab (at most
    the backend's read timeout) instead of freeing the capture under it. Once released, grabs
    fail and retrieves return None.
    """

    def __init__(self, cap: cv2.VideoCapture) -> None:
        self._cap = cap
        self._lock = threading.Lock()
        self._released = threading.Event()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    def grab(self) -> bool:
        with self._lock:
            return not self.released and self._cap.grab()

    def retrieve(self) -> np.ndarray | None:
        with self._lock:
            if self.released:
                return None
            ok, image = self._cap.retrieve()
            return image if ok else None

    def get(self, prop: int) -> float:
        with self._lock:
            return float(self._cap.get(prop))

    def replace(self, cap: cv2.VideoCapture) -> None:
        """Swap in a newly opened capture (loop, reconnect); dropped at once if released."""
        with self._lock:
            self._cap.release()
            self._cap = cap
            if self.released:
                cap.release()

    def wait_released(self, timeout_s: float) -> bool:
        """Sleep up to timeout_s; True (at once) when released meanwhile."""
        return self._released.wait(timeout_s)

    def release(self) -> None:
        self._released.set()
        with self._lock:
            self._cap.release()


class CaptureSource(VideoSource):
    """Grab, stamp, skip, retrieve, resize: the loop of file, webcam, CSI and stream sources.

    Skipped frames are only grabbed, never decoded. Iterating again goes on where the last
    iteration stopped; after :meth:`close` iteration ends.
    """

    def __init__(self, config: SourceConfig, cap: cv2.VideoCapture, label: str) -> None:
        super().__init__(config)
        self.label = label
        """What the source reads, for messages: 'video file /x.mp4', 'stream rtsp://cam/1'."""
        self._capture = Capture(cap)
        fps = float(cap.get(cv2.CAP_PROP_FPS))
        self._nominal_fps = fps if math.isfinite(fps) and fps > 0 else None
        self._frames = self._read()

    def __str__(self) -> str:
        return self.label

    @property
    def nominal_fps(self) -> float | None:
        return self._nominal_fps

    def __iter__(self) -> Iterator[Frame]:
        return self._frames

    def close(self) -> None:
        self._capture.release()

    @abstractmethod
    def _stamp(self) -> tuple[int, datetime]:
        """Frame id and capture time of the frame just grabbed."""

    @abstractmethod
    def _after_failed_grab(self) -> bool:
        """Handle the end of the input: True to go on reading, False to stop (or raise)."""

    def _read(self) -> Iterator[Frame]:
        skipper = FrameSkipper(self.config.target_fps)
        limit = self.config.max_frames
        processed = 0
        restart = False
        while not self._capture.released and (limit is None or processed < limit):
            if not self._capture.grab():
                if self._capture.released or not self._after_failed_grab():
                    return
                restart = True
                continue
            frame_id, captured_at = self._stamp()
            if not skipper.due(captured_at):
                continue
            image = self._capture.retrieve()
            if image is None:
                if not self._capture.released:
                    log.warning("%s: frame %d could not be decoded, skipped", self, frame_id)
                continue
            skipper.mark(captured_at)
            processed += 1
            yield Frame(resize(image, self.config.resize), frame_id, captured_at, restart)
            restart = False
