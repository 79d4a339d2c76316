"""Detector bases: a person detector and a face detector each turn one BGR image into
:class:`~edge_producer.detections.Detections`."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from edge_producer.detections import Detections
from edge_producer.models import ModelRef
from edge_producer.ops import nms
from edge_producer.runtime.base import ModelError, Runtime


class _OnnxDetector(ABC):
    """A detector that runs one ONNX model on one runtime."""

    def __init__(self, runtime: Runtime, model: ModelRef) -> None:
        self.runtime = runtime
        self.model = model
        if len(runtime.inputs) != 1 or len(runtime.inputs[0].shape) != 4:
            raise ModelError(
                f"{model.path}: a detector takes one NxCxHxW image input, the model has "
                f"{runtime.inputs}"
            )
        self.input_name = runtime.inputs[0].name

    @abstractmethod
    def detect(self, image: np.ndarray) -> Detections:
        """Detect objects in one HxWx3 uint8 BGR image; boxes in that image's pixels."""

    def fixed_input_size(self, family: str) -> tuple[int, int]:
        """(height, width) of the model's input, or ModelError when its axes are dynamic."""
        hw = self.runtime.inputs[0].fixed_hw()
        if hw is None:
            raise ModelError(
                f"{self.model.path}: {family} needs a fixed input size, got dynamic axes"
            )
        return hw


class PersonDetector(_OnnxDetector):
    """Finds people. ``class_id`` of the result is the model's person class."""

    def __init__(
        self,
        runtime: Runtime,
        model: ModelRef,
        *,
        score_threshold: float,
        nms_iou: float,
        person_class: int = 0,
    ) -> None:
        super().__init__(runtime, model)
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self.person_class = person_class

    def check_classes(self, classes: int) -> None:
        """ModelError when ``person_class`` is not one of the model's ``classes``."""
        if not 0 <= self.person_class < classes:
            raise ModelError(
                f"person_class {self.person_class} outside the model's {classes} classes"
            )

    def finish(self, xyxy: np.ndarray, scores: np.ndarray, image: np.ndarray) -> Detections:
        """Boxes in image pixels and their person scores: clipped to the image, NMS applied."""
        if not len(xyxy):
            return Detections.empty()
        h, w = image.shape[:2]
        xyxy = np.clip(xyxy, 0, [w, h, w, h]).astype(np.float32)
        scores = np.asarray(scores, dtype=np.float32)
        kept = nms(xyxy, scores, self.nms_iou)
        return Detections(xyxy[kept], scores[kept], np.full(len(kept), self.person_class))


class FaceDetector(_OnnxDetector):
    """Finds faces, with 5 landmarks each (eyes, nose tip, mouth corners) in ``landmarks``:
    right eye, left eye (the subject's; the right eye is on the image's left), nose, right mouth
    corner, left mouth corner."""

    DEFAULT_SCORE: float
    """The score threshold used when the config leaves it unset (each detector's own scale)."""

    def __init__(
        self,
        runtime: Runtime,
        model: ModelRef,
        *,
        score_threshold: float | None = None,
        nms_iou: float,
        min_size: int = 0,
    ) -> None:
        super().__init__(runtime, model)
        self.score_threshold = self.DEFAULT_SCORE if score_threshold is None else score_threshold
        self.nms_iou = nms_iou
        self.min_size = min_size

    def finish(
        self, xyxy: np.ndarray, scores: np.ndarray, landmarks: np.ndarray, image: np.ndarray
    ) -> Detections:
        """Faces in image pixels: clipped to the image, those under ``min_size`` (shorter side)
        dropped, NMS applied."""
        h, w = image.shape[:2]
        xyxy = np.clip(xyxy, 0, [w, h, w, h]).astype(np.float32)
        sides = np.minimum(xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1])
        big = sides >= self.min_size
        xyxy, scores, landmarks = xyxy[big], np.asarray(scores, np.float32)[big], landmarks[big]
        kept = nms(xyxy, scores, self.nms_iou)
        return Detections(xyxy[kept], scores[kept], landmarks=landmarks[kept])
