"""The one detections type that flows from a detector through the tracker to the events.

Like supervision's ``Detections``: parallel numpy arrays, one row per object, sliced by index or
boolean mask. A detector fills ``xyxy``, ``score`` and ``class_id`` (and ``landmarks`` for faces);
the tracker fills ``track_id``. Boxes are ``[x1, y1, x2, y2]`` in the pixel coordinates of the
frame they were found in. No pixels are ever stored here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNTRACKED = -1
"""``track_id`` of a detection that belongs to no confirmed track."""


def _empty_landmarks(n: int) -> np.ndarray:
    return np.zeros((n, 0, 2), dtype=np.float32)


@dataclass(frozen=True)
class Detections:
    """N detected objects: boxes, scores, class ids, track ids and optional landmarks."""

    xyxy: np.ndarray
    """(N, 4) float32 boxes ``[x1, y1, x2, y2]``."""
    score: np.ndarray
    """(N,) float32 confidences in 0..1."""
    class_id: np.ndarray = field(default=None)  # type: ignore[assignment]
    """(N,) int64 class ids of the detector's label space (0 where there is one class)."""
    track_id: np.ndarray = field(default=None)  # type: ignore[assignment]
    """(N,) int64 track ids, :data:`UNTRACKED` (-1) where there is none."""
    landmarks: np.ndarray = field(default=None)  # type: ignore[assignment]
    """(N, K, 2) float32 landmark points (K = 5 for faces, 0 for people)."""

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        set_ = object.__setattr__
        set_(self, "xyxy", np.asarray(self.xyxy, dtype=np.float32).reshape(n, 4))
        set_(self, "score", np.asarray(self.score, dtype=np.float32).reshape(n))
        defaults = {
            "class_id": lambda: np.zeros(n, dtype=np.int64),
            "track_id": lambda: np.full(n, UNTRACKED, dtype=np.int64),
            "landmarks": lambda: _empty_landmarks(n),
        }
        for name, make in defaults.items():
            value = getattr(self, name)
            set_(self, name, make() if value is None else np.asarray(value))
        set_(self, "class_id", self.class_id.astype(np.int64, copy=False).reshape(n))
        set_(self, "track_id", self.track_id.astype(np.int64, copy=False).reshape(n))
        landmarks = self.landmarks.astype(np.float32, copy=False)
        if landmarks.ndim != 3:  # (N, 2K) rows, or an empty array
            landmarks = landmarks.reshape(n, -1, 2) if n else landmarks.reshape(0, 0, 2)
        set_(self, "landmarks", landmarks)

    @classmethod
    def empty(cls) -> Detections:
        """No detections."""
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: np.ndarray | slice | list[int] | int) -> Detections:
        """The rows selected by an index array, a boolean mask, a slice or one position."""
        if isinstance(index, int | np.integer):
            index = [int(index)]
        return Detections(
            self.xyxy[index],
            self.score[index],
            self.class_id[index],
            self.track_id[index],
            self.landmarks[index],
        )

    def with_track_ids(self, track_id: np.ndarray) -> Detections:
        """A copy with ``track_id`` replaced."""
        return Detections(self.xyxy, self.score, self.class_id, track_id, self.landmarks)

    @property
    def area(self) -> np.ndarray:
        """(N,) box areas in square pixels."""
        wh = np.clip(self.xyxy[:, 2:] - self.xyxy[:, :2], 0, None)
        return wh[:, 0] * wh[:, 1]
