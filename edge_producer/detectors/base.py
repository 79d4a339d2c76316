"""Detector bases: a person detector and a face detector each turn one BGR image into
:class:`~edge_producer.detections.Detections`."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from edge_producer.detections import Detections
from edge_producer.models import ModelRef
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


class PersonDetector(_OnnxDetector):
    """Finds people. ``class_id`` of the result is the model's person class."""


class FaceDetector(_OnnxDetector):
    """Finds faces, with 5 landmarks each (eyes, nose tip, mouth corners) in ``landmarks``:
    right eye, left eye (the subject's; the right eye is on the image's left), nose, right mouth
    corner, left mouth corner."""
