"""A folder of images, read in name order as frames at ``folder_fps``."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import cv2

from edge_producer.config import SourceConfig
from edge_producer.frames import Frame
from edge_producer.sources.base import SourceError, VideoSource
from edge_producer.sources.processing import FrameSkipper, resize, utc_now

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset(
    {".bmp", ".jpeg", ".jpg", ".pgm", ".png", ".ppm", ".tif", ".tiff", ".webp"}
)
"""Files read as images (case-insensitive); others in the folder are ignored."""


def list_images(folder: Path) -> list[Path]:
    """Image files of a folder (by suffix, hidden files left out), sorted by name."""
    return sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
        ),
        key=lambda p: p.name,
    )


class FolderSource(VideoSource):
    """Images of a folder as frames, sorted by name (zero-pad numbered names).

    - Image i (from 0) has ``frame_id`` i and ``captured_at`` = ``start_time`` (default: when
      the source was opened) + i / ``folder_fps``. When looping, pass k adds k x (number of
      images) to the id and k x (number of images) / folder_fps to the time.
    - An image that cannot be read is logged and skipped; it keeps its id and time slot, so
      the other frames' ids and times do not depend on it. A pass in which no image could be
      read raises SourceError (nothing to process).
    - ``target_fps`` skips by those times; skipped images are not read.
    """

    def __init__(self, config: SourceConfig) -> None:
        super().__init__(config)
        self.path = Path(config.uri).expanduser()
        if not self.path.is_dir():
            raise SourceError(f"image folder not found: {self.path}")
        self.images = list_images(self.path)
        if not self.images:
            suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
            raise SourceError(f"no images in folder: {self.path} (suffixes read: {suffixes})")
        self._start = config.start_time or utc_now()
        self._closed = threading.Event()
        self._frames = self._read()

    @property
    def nominal_fps(self) -> float | None:
        return self.config.folder_fps

    def __iter__(self) -> Iterator[Frame]:
        return self._frames

    def close(self) -> None:
        self._closed.set()

    def _read(self) -> Iterator[Frame]:
        skipper = FrameSkipper(self.config.target_fps)
        limit = self.config.max_frames
        processed = 0
        first_id = 0
        while True:
            tried = read = 0
            for index, path in enumerate(self.images, start=first_id):
                if self._closed.is_set() or (limit is not None and processed >= limit):
                    return
                captured_at = self._start + timedelta(seconds=index / self.config.folder_fps)
                if not skipper.due(captured_at):
                    continue
                tried += 1
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is None:
                    log.warning("unreadable image skipped: %s", path)
                    continue
                read += 1
                skipper.mark(captured_at)
                processed += 1
                restart = first_id > 0 and read == 1  # the first image of a later pass
                yield Frame(resize(image, self.config.resize), index, captured_at, restart)
            if tried and not read:
                raise SourceError(f"no image in folder {self.path} could be read")
            if not self.config.loop:
                return
            first_id += len(self.images)
