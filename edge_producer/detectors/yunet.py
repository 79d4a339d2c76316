"""YuNet face detector (bundled default, MIT): boxes and five landmarks per face."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from edge_producer.detections import Detections
from edge_producer.detectors.base import FaceDetector
from edge_producer.models import ModelRef
from edge_producer.ops import grid_cells
from edge_producer.runtime.base import Runtime

STRIDES = (8, 16, 32)


class YuNetDetector(FaceDetector):
    """YuNet at the image's own size, padded right and bottom to a multiple of 32.

    Images whose longer side exceeds ``max_side`` are scaled down first.
    """

    DEFAULT_SCORE = 0.6

    def __init__(
        self, runtime: Runtime, model: ModelRef, *, max_side: int = 640, **thresholds: Any
    ) -> None:
        super().__init__(runtime, model, **thresholds)
        self.max_side = max_side
        names = [o.name for o in runtime.outputs]
        self._order = [
            names.index(f"{k}_{s}") for k in ("cls", "obj", "bbox", "kps") for s in STRIDES
        ]

    def detect(self, image: np.ndarray) -> Detections:
        h, w = image.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        if scale < 1.0:
            image = cv2.resize(image, (round(w * scale), round(h * scale)))
        ih, iw = image.shape[:2]
        ph, pw = -(-ih // 32) * 32, -(-iw // 32) * 32
        padded = np.zeros((ph, pw, 3), dtype=np.float32)
        padded[:ih, :iw] = image
        outs = self.runtime.run({self.input_name: padded.transpose(2, 0, 1)[None]})
        outs = [outs[i][0] for i in self._order]
        boxes, scores, points = [], [], []
        for i, stride in enumerate(STRIDES):
            cls, obj, bbox, kps = outs[i], outs[3 + i], outs[6 + i], outs[9 + i]
            score = np.sqrt(np.clip(cls[:, 0], 0, 1) * np.clip(obj[:, 0], 0, 1))
            keep = score >= self.score_threshold
            if not keep.any():
                continue
            cells = grid_cells(ph // stride, pw // stride)[keep]
            centre = (cells + bbox[keep, :2]) * stride
            size = np.exp(bbox[keep, 2:4]) * stride
            boxes.append(np.concatenate([centre - size / 2, centre + size / 2], axis=1))
            points.append((kps[keep].reshape(-1, 5, 2) + cells[:, None, :]) * stride)
            scores.append(score[keep])
        if not boxes:
            return Detections.empty()
        xyxy = np.concatenate(boxes) / scale
        landmarks = np.concatenate(points) / scale
        return self.finish(xyxy, np.concatenate(scores), landmarks, image)
