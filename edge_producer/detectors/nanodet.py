"""NanoDet-m (GFL head, COCO): per-stride class scores and distribution-of-distances boxes.

The export (NanoDet's ``tools/export_onnx.py``) returns, for each stride 8, 16 and 32,
``cls_pred_stride_{s}`` ``[1, N, 80]`` (sigmoid applied) and ``dis_pred_stride_{s}``
``[1, N, 4 * 8]``: for each side (left, top, right, bottom) 8 logits over the distances
0..7 in stride units. The distance is the softmax-weighted mean bin, times the stride, measured
from the cell centre ``((col + 0.5) * stride, (row + 0.5) * stride)``.

Preprocessing follows NanoDet's own demo (``keep_ratio``): the image is resized keeping its
aspect ratio, centred and padded with 0, then normalised per BGR channel. Checked on the three
stills against YOLOX: plain resizing (no letterbox) loses people in the store aisle, and cell
corners instead of cell centres shift every box by half a stride (IoU with YOLOX 0.6 instead of
0.85-0.96).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edge_producer.detections import Detections
from edge_producer.detectors.base import PersonDetector
from edge_producer.models import ModelRef
from edge_producer.ops import grid_cells, letterbox
from edge_producer.runtime.base import ModelError, Runtime

STRIDES = (8, 16, 32)
BINS = 8
"""Distance bins per side (NanoDet's ``reg_max`` 7, plus one)."""
MEAN = np.array([103.53, 116.28, 123.675], dtype=np.float32)
STD = np.array([57.375, 57.12, 58.395], dtype=np.float32)


def cell_centres(height: int, width: int, stride: int) -> np.ndarray:
    """(N, 2) ``x, y`` centres of one stride's cells, row by row (the export's order)."""
    return (grid_cells(-(-height // stride), -(-width // stride)) + 0.5) * stride


def gfl_distances(logits: np.ndarray, stride: int) -> np.ndarray:
    """(N, 4 * BINS) logits to (N, 4) left, top, right, bottom distances in input pixels."""
    x = logits.reshape(-1, 4, BINS).astype(np.float32)
    x = np.exp(x - x.max(axis=2, keepdims=True))
    probs = x / x.sum(axis=2, keepdims=True)
    return probs @ np.arange(BINS, dtype=np.float32) * stride


class NanoDetDetector(PersonDetector):
    """NanoDet ONNX export: BGR, per-channel mean and std, centred letterbox padded with 0."""

    def __init__(self, runtime: Runtime, model: ModelRef, **thresholds: Any) -> None:
        super().__init__(runtime, model, **thresholds)
        hw = self.size = self.fixed_input_size("NanoDet")
        names = [o.name for o in runtime.outputs]
        wanted = [f"{kind}_pred_stride_{s}" for s in STRIDES for kind in ("cls", "dis")]
        missing = [n for n in wanted if n not in names]
        if missing:
            raise ModelError(f"{model.path}: not a NanoDet export, outputs {missing} missing")
        self._order = [names.index(n) for n in wanted]
        self.centres = [cell_centres(*hw, s) for s in STRIDES]

    def detect(self, image: np.ndarray) -> Detections:
        padded, box = letterbox(image, self.size, pad_value=0, centre=True)
        tensor = ((padded.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]
        outs = self.runtime.run({self.input_name: np.ascontiguousarray(tensor)})
        boxes, scores = [], []
        for i, stride in enumerate(STRIDES):
            cls = outs[self._order[2 * i]][0]
            dis = outs[self._order[2 * i + 1]][0]
            centres = self.centres[i]
            if len(cls) != len(centres) or len(dis) != len(centres):
                raise ModelError(
                    f"{self.model.path}: stride {stride} has {len(cls)} rows, expected "
                    f"{len(centres)} for input {self.size}"
                )
            self.check_classes(cls.shape[1])
            score = cls[:, self.person_class]
            keep = score >= self.score_threshold
            if not keep.any():
                continue
            dist = gfl_distances(dis[keep], stride)
            centre = centres[keep]
            boxes.append(np.concatenate([centre - dist[:, :2], centre + dist[:, 2:]], axis=1))
            scores.append(score[keep])
        if not boxes:
            return Detections.empty()
        return self.finish(box.to_image(np.concatenate(boxes)), np.concatenate(scores), image)
