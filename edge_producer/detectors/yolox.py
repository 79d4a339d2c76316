"""YOLOX (bundled default: YOLOX-nano, COCO): grid-and-stride decode of ``[1, N, 5 + C]``."""

from __future__ import annotations

from typing import Any

import numpy as np

from edge_producer.detections import Detections
from edge_producer.detectors.base import PersonDetector
from edge_producer.models import ModelRef
from edge_producer.ops import grid_cells, letterbox
from edge_producer.runtime.base import ModelError, Runtime

STRIDES = (8, 16, 32)


def grid_and_strides(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, 2) cell offsets and (N, 1) strides in YOLOX's output order."""
    grids = [grid_cells(height // s, width // s) for s in STRIDES]
    strides = [
        np.full((len(g), 1), s, dtype=np.float32) for g, s in zip(grids, STRIDES, strict=True)
    ]
    return np.concatenate(grids), np.concatenate(strides)


class YoloxDetector(PersonDetector):
    """YOLOX ONNX export: BGR 0-255, top-left letterbox padded with 114, no normalisation."""

    def __init__(self, runtime: Runtime, model: ModelRef, **thresholds: Any) -> None:
        super().__init__(runtime, model, **thresholds)
        self.size = self.fixed_input_size("YOLOX")
        self.grid, self.strides = grid_and_strides(*self.size)

    def detect(self, image: np.ndarray) -> Detections:
        padded, box = letterbox(image, self.size, centre=False)
        tensor = padded.transpose(2, 0, 1)[None].astype(np.float32)
        out = self.runtime.run({self.input_name: tensor})[0][0]
        if out.shape[0] != len(self.grid):
            raise ModelError(
                f"{self.model.path}: YOLOX output has {out.shape[0]} rows, expected "
                f"{len(self.grid)} for input {self.size}"
            )
        self.check_classes(out.shape[1] - 5)
        scores = out[:, 4] * out[:, 5 + self.person_class]
        keep = scores >= self.score_threshold
        rows = out[keep]
        centre = (rows[:, :2] + self.grid[keep]) * self.strides[keep]
        half = np.exp(rows[:, 2:4]) * self.strides[keep] / 2
        xyxy = box.to_image(np.concatenate([centre - half, centre + half], axis=1))
        return self.finish(xyxy, scores[keep], image)
