"""Clips in a local folder, with retention by total bytes and by age, oldest removed first."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from edge_producer.capture.base import (
    WORK_DIR_NAME,
    ClipStore,
    clip_bytes,
    clips_oldest_first,
    metadata_path,
    move_file,
    remove_clip,
    remove_orphans,
    write_json_atomic,
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
        self.dir = Path(config.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        super().__init__(self.dir / WORK_DIR_NAME)
        self.max_bytes = config.max_bytes
        self.max_age_s = config.max_days * DAY_S
        self._clock = clock
        remove_orphans(self.dir)
        self.enforce_retention()

    def clips(self) -> list[Path]:
        """The stored clips, oldest first."""
        return clips_oldest_first(self.dir)

    @property
    def bytes(self) -> int:
        """Bytes of every stored clip and its metadata."""
        return sum(clip_bytes(clip) for clip in self.clips())

    def put(self, clip: Path, metadata: Mapping[str, Any]) -> None:
        target = self.dir / clip.name
        with self._lock:
            write_json_atomic(metadata_path(target), metadata)
            move_file(clip, target)
            self._count_stored(clip_bytes(target))
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
                        "clip store %s: removed %s (older than the retention)", self.dir, clip.name
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
                    self.dir, clip.name, self.max_bytes,
                )  # fmt: skip
