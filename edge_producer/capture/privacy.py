"""The privacy filter every frame passes before it is stored: faces blurred, or people pixelated.

Faces are searched in the whole frame by the edge's own face detector at
``privacy.face_score_threshold`` (below the detector's default, so that borderline faces are
hidden too) with no minimum size. Each face box, grown by ``privacy.margin`` on every side, is
then destroyed rather than softened: the region is averaged down to 2x2 cells, stretched back
smoothly and Gaussian-blurred with a kernel of half its size. What remains is a smooth colour
gradient. A plain Gaussian blur is not enough: on the walking test clip YuNet still found 69 of
70 faces after a Gaussian blur with a kernel of a quarter of the box, 26 with half the box
(``tests/edge_producer/test_capture.py`` checks that none is found after this filter).

In ``people`` mode every person box of the frame's events is pixelated as well (cells of about
an eighth of the box's shorter side), and the faces are still blurred, so a person the person
detector missed has no face either.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from edge_producer.config import EdgeConfig, PrivacyConfig
from edge_producer.detections import Detections
from edge_producer.detectors.base import FaceDetector
from edge_producer.models import ModelRef

BLUR_CELLS = 2
"""A blurred face region is averaged down to this many cells per side."""
PIXELATE_CELLS = 8
"""A pixelated person box has about this many cells across its shorter side."""
MIN_PIXEL_CELL = 4
"""The smallest pixelation cell, in pixels."""


def grow_box(box: Sequence[float], margin: float, width: int, height: int) -> tuple[int, ...]:
    """``box`` [x1, y1, x2, y2] grown by ``margin`` of its size on every side, as integer pixel
    bounds clipped to the image (an empty range when the box lies outside)."""
    x1, y1, x2, y2 = (float(v) for v in box)
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    left = min(max(int(np.floor(x1 - dx)), 0), width)
    top = min(max(int(np.floor(y1 - dy)), 0), height)
    right = min(max(int(np.ceil(x2 + dx)), left), width)
    bottom = min(max(int(np.ceil(y2 + dy)), top), height)
    return left, top, right, bottom


def blur_region(image: np.ndarray, bounds: tuple[int, ...]) -> None:
    """Destroy the detail of ``image[bounds]`` in place: 2x2 cell averages, smoothly stretched
    back, then a Gaussian blur with a kernel of half the region's larger side."""
    x1, y1, x2, y2 = bounds
    region = image[y1:y2, x1:x2]
    h, w = region.shape[:2]
    if h < 2 or w < 2:
        return
    cells = cv2.resize(region, (BLUR_CELLS, BLUR_CELLS), interpolation=cv2.INTER_AREA)
    smooth = cv2.resize(cells, (w, h), interpolation=cv2.INTER_LINEAR)
    k = max(3, max(h, w) // 2) | 1
    region[:] = cv2.GaussianBlur(smooth, (k, k), 0)


def pixelate_region(image: np.ndarray, bounds: tuple[int, ...]) -> None:
    """Pixelate ``image[bounds]`` in place: square cells of an eighth of the shorter side
    (at least 4 pixels), each the average of its pixels."""
    x1, y1, x2, y2 = bounds
    region = image[y1:y2, x1:x2]
    h, w = region.shape[:2]
    if h < 2 or w < 2:
        return
    cell = max(MIN_PIXEL_CELL, min(h, w) // PIXELATE_CELLS)
    small = cv2.resize(
        region, (max(1, -(-w // cell)), max(1, -(-h // cell))), interpolation=cv2.INTER_AREA
    )
    region[:] = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)


class PrivacyFilter:
    """Hides faces (and in ``people`` mode whole people) in a copy of each frame."""

    def __init__(self, config: PrivacyConfig, faces: FaceDetector | None) -> None:
        """``faces``: the face detector, set to ``config.face_score_threshold``; None only when
        ``config.blur_faces`` is false."""
        if config.blur_faces and faces is None:
            raise ValueError("blur_faces needs a face detector")
        self.config = config
        self.faces = faces if config.blur_faces else None

    @classmethod
    def from_config(cls, config: EdgeConfig) -> PrivacyFilter:
        """The filter ``config.privacy`` asks for, with the face detector of ``config.faces``
        (model and runtime) at ``privacy.face_score_threshold`` and no minimum face size."""
        if not config.privacy.blur_faces:
            return cls(config.privacy, None)
        from edge_producer.build import face_detector  # build imports the whole edge

        faces = config.faces.model_copy(
            update={"score_threshold": config.privacy.face_score_threshold, "min_size": 1}
        )
        return cls(config.privacy, face_detector(config.model_copy(update={"faces": faces})))

    @property
    def enabled(self) -> bool:
        """Whether anything is hidden (``blur_faces``)."""
        return self.config.blur_faces

    @property
    def model(self) -> ModelRef | None:
        """The face model the filter runs (None when disabled)."""
        return None if self.faces is None else self.faces.model

    def find_faces(self, image: np.ndarray) -> Detections:
        """The faces to hide in ``image`` (none when disabled)."""
        if self.faces is None:
            return Detections.empty()
        return self.faces.detect(image)

    def apply(
        self, image: np.ndarray, person_boxes: np.ndarray | Sequence[Sequence[float]] = ()
    ) -> np.ndarray:
        """A copy of the HxWx3 BGR ``image`` with every face blurred and, in ``people`` mode,
        every ``person_boxes`` row ([x1, y1, x2, y2] in image pixels) pixelated. Disabled: the
        image itself, unchanged."""
        if not self.enabled:
            return image
        out = image.copy()
        h, w = out.shape[:2]
        margin = self.config.margin
        if self.config.mode == "people":
            for box in np.asarray(person_boxes, dtype=np.float32).reshape(-1, 4):
                pixelate_region(out, grow_box(box, margin, w, h))
        # faces are found in the original image: pixelation must not hide one from the detector
        for box in self.find_faces(image).xyxy:
            blur_region(out, grow_box(box, margin, w, h))
        return out
