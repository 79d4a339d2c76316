"""YOLOX (bundled default: YOLOX-nano, COCO): grid-and-stride decode of ``[1, N, 5 + C]``."""

from __future__ import annotations

import numpy as np

from edge_producer.detections import Detections
from edge_producer.detectors.base import PersonDetector
from edge_producer.models import ModelRef
from edge_producer.ops import batched_nms, letterbox
from edge_producer.runtime.base import ModelError, Runtime

STRIDES = (8, 16, 32)


def grid_and_strides(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) cell offsets and (N, 1) strides in YOLOX's output order."""
    grids, strides = [], []
    for stride in STRIDES:
        gh, gw = height // stride, width // stride
        ys, xs = np.meshgrid(np.arange(gh), np.arange(gw), indexing="ij")
        grids.append(np.stack([xs, ys], axis=-1).reshape(-1, 2))
        strides.append(np.full((gh * gw, 1), stride))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


class YoloxDetector(PersonDetector):
    """YOLOX ONNX export: BGR 0-255, top-left letterbox padded with 114, no normalisation."""

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
        hw = runtime.inputs[0].fixed_hw()
        if hw is None:
            raise ModelError(f"{model.path}: YOLOX needs a fixed input size, got dynamic axes")
        self.size = hw
        self.grid, self.strides = grid_and_strides(*hw)
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self.person_class = person_class

    def detect(self, image: np.ndarray) -> Detections:
        padded, box = letterbox(image, self.size, centre=False)
        tensor = padded.transpose(2, 0, 1)[None].astype(np.float32)
        out = self.runtime.run({self.input_name: tensor})[0][0]
        if out.shape[0] != len(self.grid):
            raise ModelError(
                f"{self.model.path}: YOLOX output has {out.shape[0]} rows, expected "
                f"{len(self.grid)} for input {self.size}"
            )
        if not 0 <= self.person_class < out.shape[1] - 5:
            raise ModelError(f"person_class {self.person_class} outside the model's classes")
        scores = out[:, 4] * out[:, 5 + self.person_class]
        keep = scores >= self.score_threshold
        rows, scores = out[keep], scores[keep]
        if not len(rows):
            return Detections.empty()
        centre = (rows[:, :2] + self.grid[keep]) * self.strides[keep]
        half = np.exp(rows[:, 2:4]) * self.strides[keep] / 2
        xyxy = box.to_image(np.concatenate([centre - half, centre + half], axis=1))
        h, w = image.shape[:2]
        xyxy = np.clip(xyxy, 0, [w, h, w, h])
        cls = np.full(len(scores), self.person_class)
        kept = batched_nms(xyxy, scores, cls, self.nms_iou)
        return Detections(xyxy[kept], scores[kept], cls[kept])
