"""Small image and box operations shared by the detectors: letterbox, IoU, NMS."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Letterbox:
    """How an image was scaled and padded into a model input, to map boxes back."""

    scale: float
    pad_x: float
    pad_y: float

    def to_image(self, xyxy: np.ndarray) -> np.ndarray:
        """Map boxes (or points, in pairs) from model input coordinates back to the image."""
        out = xyxy.astype(np.float32, copy=True)
        out[..., 0::2] = (out[..., 0::2] - self.pad_x) / self.scale
        out[..., 1::2] = (out[..., 1::2] - self.pad_y) / self.scale
        return out


def letterbox(
    image: np.ndarray, size: tuple[int, int], *, pad_value: int = 114, centre: bool = True
) -> tuple[np.ndarray, Letterbox]:
    """Resize ``image`` keeping its aspect ratio into ``size`` = (height, width) and pad it.

    ``centre=False`` puts the image in the top-left corner (YOLOX's export); ``True`` centres it
    (YOLOv5's). Returns the padded HxWx3 image and the transform back.
    """
    h, w = image.shape[:2]
    th, tw = size
    scale = min(th / h, tw / w)
    nh, nw = round(h * scale), round(w * scale)
    resized = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR) if scale != 1 else image
    pad_y = (th - nh) / 2 if centre else 0.0
    pad_x = (tw - nw) / 2 if centre else 0.0
    top, left = round(pad_y - 0.1), round(pad_x - 0.1)
    out = np.full((th, tw, 3), pad_value, dtype=np.uint8)
    out[top : top + nh, left : left + nw] = resized
    return out, Letterbox(scale, float(left), float(top))


def grid_cells(rows: int, cols: int) -> np.ndarray:
    """(rows * cols, 2) float32 ``x, y`` indices of a grid's cells, row by row."""
    ys, xs = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    return np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float32)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) IoU between boxes ``a`` (N, 4) and ``b`` (M, 4), ``[x1, y1, x2, y2]``.

    Plain ufuncs, in place where possible, and one pass for both sets' areas: the tracker calls
    this every frame on a handful of boxes, where numpy's per-call overhead is the cost.
    """
    a = np.asarray(a, dtype=np.float32).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float32).reshape(-1, 4)
    wh = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh -= np.maximum(a[:, None, :2], b[None, :, :2])
    np.maximum(wh, 0, out=wh)
    inter = wh[..., 0] * wh[..., 1]
    sides = np.concatenate([a, b])
    sides = sides[:, 2:] - sides[:, :2]
    np.maximum(sides, 0, out=sides)
    area = sides[:, 0] * sides[:, 1]
    union = area[: len(a), None] + area[None, len(a) :]
    union -= inter
    iou = np.zeros_like(inter)
    np.divide(inter, np.maximum(union, 1e-12), out=iou, where=union > 0)
    return iou


def nms(xyxy: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression; returns the kept indices, best score first.

    Vectorised per kept box: each step drops every remaining box whose IoU with the kept one
    exceeds ``iou_threshold``.
    """
    order = np.argsort(-np.asarray(scores), kind="stable")
    keep: list[int] = []
    while order.size:
        best = order[0]
        keep.append(int(best))
        if order.size == 1:
            break
        ious = box_iou(xyxy[best : best + 1], xyxy[order[1:]])[0]
        order = order[1:][ious <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)
