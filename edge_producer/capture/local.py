"""Clips in a local folder, with retention by total bytes and by age, oldest removed first."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from edge_producer.capture.base import (
    ClipStore,
    clip_bytes,
    remove_clip,
)
from edge_producer.config import LocalStoreConfig

log = logging.getLogger(__name__)

DAY_S = 24 * 3600.0


class LocalClipStore(ClipStore):
    """Keeps clips in ``config.dir``: ``<stem>.mp4`` with ``<stem>.json`` beside it.

    After every :meth:`put` (and at start) clips whose file is older than ``max_days`` are
    removed, then the oldest clips until all together take at most ``max_bytes`` (a clip larger
    than ``max_bytes`` on its own is removed too). A clip's age is that of its file's
    modification time, i.e. the time its last frame was written.
    """

    def __init__(self, config: LocalStoreConfig, *, clock: Callable[[], float] = time.time) -> None:
        """``clock``: the wall clock the ages are measured against (seconds since the epoch)."""
        super().__init__(Path(config.dir))
        self.max_bytes = config.max_bytes
        self.max_age_s = config.max_days * DAY_S
        self._clock = clock
        self.enforce_retention()

    def _stored(self, clip: Path) -> None:
        self.enforce_retention()

    def enforce_retention(self) -> None:
        """Remove clips older than ``max_days``, then the oldest past ``max_bytes``."""
        with self._lock:
            horizon = self._clock() - self.max_age_s
            clips = []
            for clip in self.clips():
                try:
                    old = clip.stat().st_mtime < horizon
                except FileNotFoundError:
                    continue
                if old:
                    remove_clip(clip)
                    self.stats.expired += 1
                    log.info(
                        "clip store %s: removed %s (older than the retention)",
                        self.folder,
                        clip.name,
                    )
                else:
                    clips.append((clip, clip_bytes(clip)))
            total = sum(size for _, size in clips)
            for clip, size in clips:
                if total <= self.max_bytes:
                    break
                remove_clip(clip)
                total -= size
                self.stats.evicted += 1
                log.info(
                    "clip store %s: removed %s, the oldest, to stay under %d bytes",
                    self.folder, clip.name, self.max_bytes,
                )  # fmt: skip
