"""Rotating clips of the processed frames, privacy-filtered before anything is written.

The recorder sees each frame once, after the pipeline, with that frame's events: the privacy
filter runs first (person boxes come from the ``person_detections`` event), then the frame is
appended to the open clip. A clip spans ``clip_seconds`` of capture time: the first frame at or
past its start plus ``clip_seconds`` (or earlier than its start, or of another size) starts the
next clip, and the finished one goes to the store with its metadata.

A clip is written as ``<stem>.partial.mp4`` in the store's work folder and renamed to
``<stem>.mp4`` only once the writer has closed it, so a crash never leaves a half clip that
looks finished.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from contracts.events import Event, ModelInfo, PersonDetections
from contracts.timefmt import format_ts
from edge_producer.capture.base import CLIP_SUFFIX, PARTIAL_SUFFIX, ClipStore
from edge_producer.capture.privacy import PrivacyFilter
from edge_producer.closing import Closing
from edge_producer.config import EdgeConfig
from edge_producer.frames import Frame
from edge_producer.models import ModelRef

log = logging.getLogger(__name__)

FOURCC = "mp4v"
DEFAULT_FPS = 10.0


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)


def clip_stem(camera_id: str, start: datetime) -> str:
    """The file name (without suffix) of a clip: camera and capture time of its first frame,
    e.g. ``cam-1_20261125T080000.000Z``."""
    stamp = format_ts(start).replace("-", "").replace(":", "")
    return f"{_safe(camera_id)}_{stamp}"


def _model_key(model: ModelInfo | ModelRef) -> tuple[str, str]:
    return (model.name, model.version)


@dataclass
class _Clip:
    """The clip being written."""

    partial: Path
    writer: cv2.VideoWriter
    start: datetime
    size: tuple[int, int]  # (width, height)
    offsets_ms: list[int] = field(default_factory=list)
    last: datetime | None = None
    models: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class RecorderStats:
    """Counters of a recorder."""

    frames: int = 0
    """Frames written."""
    clips: int = 0
    """Clips finished and handed to the store."""


class ClipRecorder(Closing):
    """Writes privacy-filtered frames into rotating mp4 clips and hands each to a store."""

    def __init__(
        self,
        store: ClipStore,
        privacy: PrivacyFilter,
        *,
        camera_id: str,
        site_id: str,
        clip_seconds: float,
        fps: float = DEFAULT_FPS,
        models: Iterable[ModelInfo | ModelRef] = (),
        close_store: bool = True,
    ) -> None:
        """``fps``: the frame rate written into the files (the real capture times are in the
        metadata); ``models``: named in every clip's metadata besides those of the events;
        ``close_store``: :meth:`close` closes the store too."""
        if clip_seconds <= 0 or fps <= 0:
            raise ValueError("a recorder needs clip_seconds > 0 and fps > 0")
        self.store = store
        self.privacy = privacy
        self.camera_id = camera_id
        self.site_id = site_id
        self.clip_length = timedelta(seconds=clip_seconds)
        self.fps = float(fps)
        self.models = {_model_key(m) for m in models}
        self.close_store = close_store
        self.stats = RecorderStats()
        self._clip: _Clip | None = None
        if not privacy.enabled:
            log.warning(
                "video capture: privacy.blur_faces is false, clips of camera %s are stored with "
                "faces as seen; make sure this is lawful where the camera is",
                camera_id,
            )

    def write(self, frame: Frame, events: Sequence[Event] = ()) -> None:
        """Filter one processed frame and append it to the open clip (starting a new clip when
        this one has run its length). ``events``: the frame's events (their person boxes and
        model names)."""
        boxes = [d.bbox for e in events if isinstance(e, PersonDetections) for d in e.detections]
        image = self.privacy.apply(frame.image, np.asarray(boxes, dtype=np.float32))
        clip = self._clip
        size = (frame.width, frame.height)
        if clip is not None and (
            frame.captured_at - clip.start >= self.clip_length
            or frame.captured_at < clip.start
            or size != clip.size
        ):
            self._finish()
            clip = None
        if clip is None:
            clip = self._clip = self._open(frame.captured_at, size)
        clip.writer.write(np.ascontiguousarray(image))
        clip.offsets_ms.append(round((frame.captured_at - clip.start).total_seconds() * 1000))
        clip.last = frame.captured_at
        clip.models.update(_model_key(e.model) for e in events if e.model is not None)
        self.stats.frames += 1

    def _open(self, start: datetime, size: tuple[int, int]) -> _Clip:
        partial = self.store.work_dir / f"{clip_stem(self.camera_id, start)}{PARTIAL_SUFFIX}"
        writer = cv2.VideoWriter(str(partial), cv2.VideoWriter_fourcc(*FOURCC), self.fps, size)
        if not writer.isOpened():
            raise OSError(f"OpenCV cannot write {FOURCC} video to {partial}")
        return _Clip(partial, writer, start, size)

    def _finish(self) -> None:
        """Close the open clip, give it its final name and hand it to the store."""
        clip, self._clip = self._clip, None
        if clip is None:
            return
        clip.writer.release()
        final = clip.partial.with_name(clip.partial.name.removesuffix(PARTIAL_SUFFIX) + CLIP_SUFFIX)
        os.replace(clip.partial, final)
        self.store.put(final, self.metadata(clip, final.name))
        self.stats.clips += 1

    def metadata(self, clip: _Clip, name: str) -> dict[str, Any]:
        """What is stored beside a clip (times are capture times, ISO 8601 UTC with Z)."""
        face_model = self.privacy.model
        models = sorted(self.models | clip.models)
        return {
            "clip": name,
            "site_id": self.site_id,
            "camera_id": self.camera_id,
            "start": format_ts(clip.start),
            "end": format_ts(clip.last or clip.start),
            "frames": len(clip.offsets_ms),
            "frame_offsets_ms": clip.offsets_ms,
            "fps": self.fps,
            "width": clip.size[0],
            "height": clip.size[1],
            "models": [{"name": n, "version": v} for n, v in models],
            "privacy_mode": self.privacy.config.mode,
            "faces_blurred": self.privacy.enabled,
            "privacy_face_model": None
            if face_model is None
            else {"name": face_model.name, "version": face_model.version},
            "privacy_face_score_threshold": self.privacy.config.face_score_threshold,
        }

    def close(self) -> None:
        """Finish the open clip and hand it to the store (then close the store, if owned)."""
        try:
            self._finish()
        finally:
            if self.close_store:
                self.store.close()


def build_store(config: EdgeConfig) -> ClipStore:
    """The clip store ``capture.store`` names."""
    capture = config.capture
    if capture.store == "s3" and capture.s3 is not None:  # EdgeConfig requires it for s3
        from edge_producer.capture.s3 import S3ClipStore  # boto3 only where S3 is used

        return S3ClipStore(capture.s3)
    from edge_producer.capture.local import LocalClipStore

    return LocalClipStore(capture.local)


def build_capture(config: EdgeConfig) -> ClipRecorder | None:
    """The recorder ``config.capture`` asks for, with its privacy filter and store; None when
    capture is off (the default). The frame rate written into the files is ``capture.fps``,
    else ``source.target_fps``, else 10."""
    capture = config.capture
    if not capture.enabled:
        return None
    privacy = PrivacyFilter.from_config(config)
    if privacy.enabled and config.privacy.mode == "people" and config.pipeline == "gender":
        log.warning(
            "video capture: privacy.mode people, but the gender pipeline finds no person "
            "boxes; only faces are blurred"
        )
    return ClipRecorder(
        build_store(config),
        privacy,
        camera_id=config.camera_id,
        site_id=config.site_id,
        clip_seconds=capture.clip_seconds,
        fps=capture.fps or config.source.target_fps or DEFAULT_FPS,
    )
