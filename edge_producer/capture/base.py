"""The base of every clip store: where finished clips and their metadata go.

A clip is finished once it has its final name. A recorder writes each clip under a temporary
name in the store's :attr:`~ClipStore.work_dir` (on the same filesystem as the store, so the
final rename is atomic) and hands the finished file to :meth:`~ClipStore.put`, which takes
ownership of it. Whatever is left in ``work_dir`` when a store starts is the half-written clip
of a process that died; the store deletes it (with a warning), so a crash never leaves a half
clip that looks finished.

Every store writes the metadata first, as ``<clip stem>.json`` beside the clip, then renames
the clip into place: a ``.mp4`` in a store therefore always has its metadata.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_producer.closing import Closing

log = logging.getLogger(__name__)

CLIP_SUFFIX = ".mp4"
PARTIAL_SUFFIX = ".partial.mp4"
"""A clip still being written: never handed to a store, removed when a store starts."""
WORK_DIR_NAME = ".recording"


def metadata_path(clip: Path) -> Path:
    """The metadata file of a clip: ``<stem>.json`` beside it."""
    return clip.with_suffix(".json")


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as JSON to a temporary name beside ``path``, then rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def move_file(source: Path, target: Path) -> None:
    """Move a file: a rename on the same filesystem (atomic), else a copy and a delete."""
    try:
        os.replace(source, target)
    except OSError:
        shutil.move(source, target)


def clip_bytes(clip: Path) -> int:
    """Bytes of a clip and its metadata file (0 for a file that is gone)."""
    total = 0
    for path in (clip, metadata_path(clip)):
        with contextlib.suppress(FileNotFoundError):
            total += path.stat().st_size
    return total


def clips_oldest_first(folder: Path) -> list[Path]:
    """The finished clips directly in ``folder``, oldest (modification time, then name) first."""
    found = []
    for path in folder.glob(f"*{CLIP_SUFFIX}"):
        try:
            found.append((path.stat().st_mtime, path.name, path))
        except FileNotFoundError:  # removed meanwhile
            continue
    return [path for _, _, path in sorted(found)]


def remove_clip(clip: Path) -> None:
    """Delete a clip, then its metadata (a lone metadata file is an orphan, never a clip)."""
    clip.unlink(missing_ok=True)
    metadata_path(clip).unlink(missing_ok=True)


def remove_orphans(folder: Path) -> int:
    """Delete metadata files without their clip, and unfinished JSON writes; how many."""
    orphans = [p for p in folder.glob("*.json") if not p.with_suffix(CLIP_SUFFIX).exists()]
    orphans += list(folder.glob("*.json.tmp"))
    for path in orphans:
        path.unlink(missing_ok=True)
    return len(orphans)


@dataclass
class ClipStoreStats:
    """Counters of a clip store (bytes count the clip and its metadata file)."""

    stored: int = 0
    """Clips handed to :meth:`ClipStore.put`."""
    stored_bytes: int = 0
    """Their bytes."""
    expired: int = 0
    """LocalClipStore: clips removed because they were older than ``max_days``."""
    evicted: int = 0
    """LocalClipStore: clips removed, oldest first, to stay under ``max_bytes``."""
    dropped: int = 0
    """S3ClipStore: clips dropped unsent, oldest first, to keep the buffer under its bytes."""
    uploaded: int = 0
    """S3ClipStore: clips uploaded (clip and metadata)."""
    uploaded_bytes: int = 0
    """S3ClipStore: their bytes."""
    upload_errors: int = 0
    """S3ClipStore: failed upload attempts (each is retried with backoff)."""

    @property
    def removed(self) -> int:
        """Clips removed by the local retention (age and bytes)."""
        return self.expired + self.evicted


class ClipStore(Closing, ABC):
    """Where finished clips go: a local folder, S3. Chosen by ``capture.store``.

    Every store keeps its finished clips in a folder first (the local store for good, the S3
    store until they are uploaded); recorders write unfinished ones in its ``.recording``
    subfolder."""

    def __init__(self, folder: Path) -> None:
        """``folder``: the store's clips (created; orphaned metadata removed); its work folder
        is emptied of what a previous process left half written."""
        self.folder = folder
        self.work_dir = folder / WORK_DIR_NAME
        self.work_dir.mkdir(parents=True, exist_ok=True)
        remove_orphans(folder)
        work_dir = self.work_dir
        self.stats = ClipStoreStats()
        self._lock = threading.RLock()
        leftovers = [p for p in work_dir.iterdir() if p.is_file()]
        for path in leftovers:
            path.unlink(missing_ok=True)
        if leftovers:
            log.warning(
                "clip store: deleted %d unfinished clip files a previous run left in %s",
                len(leftovers), work_dir,
            )  # fmt: skip

    def clips(self) -> list[Path]:
        """The clips in the store's folder, oldest first."""
        return clips_oldest_first(self.folder)

    @property
    def bytes(self) -> int:
        """Bytes of every clip in the folder and its metadata."""
        return sum(clip_bytes(clip) for clip in self.clips())

    def put(self, clip: Path, metadata: Mapping[str, Any]) -> None:
        """Take ownership of the finished clip file ``clip`` (it is moved or deleted, never
        left where it was) and store it with ``metadata`` written as ``<stem>.json`` beside
        it."""
        target = self.folder / clip.name
        with self._lock:
            write_json_atomic(metadata_path(target), metadata)
            move_file(clip, target)
            self.stats.stored += 1
            self.stats.stored_bytes += clip_bytes(target)
            self._stored(target)

    @abstractmethod
    def _stored(self, clip: Path) -> None:
        """After a clip arrived in the folder (under the lock): retention, upload."""
