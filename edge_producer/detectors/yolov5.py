"""YOLOv5 ONNX exports (yolov5n/s/m, Ultralytics' ``export.py``): ``[1, N, 5 + C]`` rows.

The export already decodes its boxes and applies the sigmoid, so each row is
``cx, cy, w, h`` in model-input pixels, the objectness and the ``C`` class scores.

Score rule (the same as the bundled YOLOX detector): a row's person score is
``objectness * class_score[person_class]``, whatever the row's best class is. A row whose best
class is, say, a chair is still a person when that product reaches ``score_threshold``; this is
Ultralytics' ``multi_label`` rule restricted to the person class, and keeps counts stable when
two classes compete for the same box.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge_producer.detections import Detections
from edge_producer.detectors.base import PersonDetector
from edge_producer.models import ModelRef
from edge_producer.ops import Letterbox, letterbox
from edge_producer.runtime.base import ModelError, Runtime

DEFAULT_SIZE = (640, 640)
"""(height, width) fed to an export with dynamic spatial axes (``export.py --dynamic``)."""


def cxcywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) centre, width, height to ``[x1, y1, x2, y2]``."""
    half = boxes[:, 2:4] / 2
    return np.concatenate([boxes[:, :2] - half, boxes[:, :2] + half], axis=1)


class Yolov5Detector(PersonDetector):
    """YOLOv5 ONNX export: RGB 0..1, centred letterbox padded with 114."""

    def __init__(
        self,
        runtime: Runtime,
        model: ModelRef,
        *,
        input_size: tuple[int, int] = DEFAULT_SIZE,
        **thresholds: Any,
    ) -> None:
        super().__init__(runtime, model, **thresholds)
        self.size = runtime.inputs[0].fixed_hw() or input_size
        self.dtype = runtime.inputs[0].dtype

    def preprocess(self, image: np.ndarray) -> tuple[np.ndarray, Letterbox]:
        """The 1x3xHxW RGB 0..1 tensor of ``image`` and the letterbox that maps boxes back."""
        padded, box = letterbox(image, self.size, centre=True)
        rgb = padded[:, :, ::-1].transpose(2, 0, 1)[None]
        return np.ascontiguousarray(rgb, dtype=np.float32) / 255.0, box

    def detect(self, image: np.ndarray) -> Detections:
        tensor, box = self.preprocess(image)
        out = self.runtime.run({self.input_name: tensor.astype(self.dtype, copy=False)})[0]
        if out.ndim != 3 or out.shape[0] != 1 or out.shape[2] < 6:
            raise ModelError(
                f"{self.model.path}: a YOLOv5 export returns [1, N, 5 + classes], got {out.shape}"
            )
        rows = out[0].astype(np.float32, copy=False)
        self.check_classes(rows.shape[1] - 5)
        scores = rows[:, 4] * rows[:, 5 + self.person_class]
        keep = scores >= self.score_threshold
        xyxy = box.to_image(cxcywh_to_xyxy(rows[keep, :4]))
        return self.finish(xyxy, scores[keep], image)
