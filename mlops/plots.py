"""Report pictures drawn with OpenCV (no plotting library on the edge's side of the install):
a confusion matrix and precision-recall curves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

FONT = cv2.FONT_HERSHEY_SIMPLEX
COLOURS = ((60, 76, 231), (219, 152, 52))  # BGR, one per class


def confusion_png(matrix: Sequence[Sequence[int]], labels: Sequence[str], path: Path) -> None:
    """Rows: true class, columns: predicted; darker cells hold more faces."""
    n, cell, left, top = len(labels), 120, 110, 60
    image = np.full((top + n * cell + 30, left + n * cell + 20, 3), 255, np.uint8)
    peak = max(1, max(max(row) for row in matrix))
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            x, y = left + j * cell, top + i * cell
            shade = int(235 - 170 * value / peak)
            cv2.rectangle(image, (x, y), (x + cell, y + cell), (shade, shade, 255), -1)
            cv2.rectangle(image, (x, y), (x + cell, y + cell), (80, 80, 80), 1)
            cv2.putText(image, str(value), (x + 40, y + 68), FONT, 0.9, (0, 0, 0), 2)
        cv2.putText(image, labels[i], (8, top + i * cell + 66), FONT, 0.6, (0, 0, 0), 1)
    for j, label in enumerate(labels):
        cv2.putText(image, label, (left + j * cell + 30, top - 12), FONT, 0.6, (0, 0, 0), 1)
    cv2.putText(image, "true \\ predicted", (4, 22), FONT, 0.55, (0, 0, 0), 1)
    cv2.imwrite(str(path), image)


def pr_curve_png(probs: np.ndarray, truth: Sequence[str], path: Path, size: int = 400) -> None:
    """One precision-recall curve per class column of `probs` (female, male)."""
    labels = ("female", "male")
    pad = 50
    image = np.full((size + 2 * pad, size + 2 * pad, 3), 255, np.uint8)
    cv2.rectangle(image, (pad, pad), (pad + size, pad + size), (0, 0, 0), 1)
    for k, label in enumerate(labels):
        order = np.argsort(-probs[:, k], kind="stable")
        hits = np.array([truth[i] == label for i in order])
        tp = np.cumsum(hits)
        recall = tp / max(1, hits.sum())
        precision = tp / np.arange(1, len(hits) + 1)
        points = np.stack([pad + recall * size, pad + (1 - precision) * size], axis=1)
        cv2.polylines(image, [points.astype(np.int32)], False, COLOURS[k], 2)
        cv2.putText(image, label, (pad + 10, pad + 20 + 20 * k), FONT, 0.5, COLOURS[k], 1)
    cv2.putText(image, "recall", (pad + size // 2 - 20, pad + size + 30), FONT, 0.5, (0, 0, 0), 1)
    cv2.putText(image, "precision", (2, pad - 10), FONT, 0.5, (0, 0, 0), 1)
    cv2.imwrite(str(path), image)
