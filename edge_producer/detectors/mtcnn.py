"""MTCNN face detector (Zhang et al. 2016): the P-Net, R-Net, O-Net cascade with 5 landmarks.

The cascade follows facenet-pytorch 2.6.0's ``detect_face`` step by step (the bundled weights
are facenet-pytorch's, see ``edge_producer/models/mtcnn/LICENSE``), in numpy on our
:class:`~edge_producer.runtime.base.Runtime` interface:

1. P-Net slides a 12x12 window (stride 2) over an image pyramid whose first scale maps
   ``min_size`` pixels to 12 and each next one is ``factor`` (0.709) times smaller. Cells scoring
   at least ``thresholds[0]`` become boxes; NMS (IoU 0.5) per scale, then NMS (IoU 0.7) over all
   scales, box regression, and squaring.
2. R-Net re-scores 24x24 crops of those squares: keep score > ``thresholds[1]``, NMS (IoU 0.7),
   regression, squaring.
3. O-Net re-scores 48x48 crops: keep score > ``score_threshold``, landmarks, regression, and NMS
   by intersection over the smaller box (0.7).

Then, as the other face detectors do, boxes are clipped to the image, faces under ``min_size``
dropped and NMS at ``nms_iou`` applied.
The nets take RGB, ``(x - 127.5) * 0.0078125``, NCHW. The pyramid and the crops are resampled
exactly as torch's ``interpolate(mode="area")`` does in facenet-pytorch (OpenCV's ``INTER_AREA``
weighs pixels differently and moves boxes by up to several pixels), from one integral image
per frame. Boxes, scores and landmarks match facenet-pytorch's to float precision.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from edge_producer.config import RuntimeConfig
from edge_producer.detections import Detections
from edge_producer.detectors.base import FaceDetector
from edge_producer.models import ModelRef
from edge_producer.ops import nms
from edge_producer.runtime import load_runtime
from edge_producer.runtime.base import ModelError, Runtime

CELL = 12
"""P-Net's window, in pixels of the scaled image."""
STRIDE = 2
"""P-Net's step between windows."""
COMPANIONS = ("rnet.onnx", "onet.onnx")
"""The R-Net and O-Net files, in the folder of the P-Net file a model names."""


class AreaSampler:
    """Crops of one image resampled by area averaging, as torch's ``interpolate(mode="area")``
    (adaptive average pooling): output pixel i of m averages input pixels floor(i * n / m) up to
    ceil((i + 1) * n / m) of n. Many crops at once, from one integral image."""

    def __init__(self, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        depth = cv2.CV_32S if h * w * 255 < 2**31 else cv2.CV_64F  # exact sums either way
        self.sums = cv2.integral(image, sdepth=depth)

    def sample(self, xyxy: np.ndarray, width: int, height: int) -> np.ndarray:
        """(N, height, width, C) float32 resampled crops of integer boxes ``[x1, y1, x2, y2)``
        (N, 4) that lie inside the image and are not empty."""
        y0, y1 = _windows(xyxy[:, 1], xyxy[:, 3], height)
        x0, x1 = _windows(xyxy[:, 0], xyxy[:, 2], width)
        y0, y1, x0, x1 = y0[:, :, None], y1[:, :, None], x0[:, None, :], x1[:, None, :]
        s = self.sums
        total = s[y1, x1] - s[y0, x1] - s[y1, x0] + s[y0, x0]
        count = (y1 - y0) * (x1 - x0)
        return (total / count[..., None]).astype(np.float32)


def _windows(start: np.ndarray, end: np.ndarray, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last input index (N, n_out) of each output pixel of each span."""
    n_in = (end - start)[:, None]
    i = np.arange(n_out)
    return start[:, None] + i * n_in // n_out, start[:, None] - (-(i + 1) * n_in // n_out)


def _normalise(rgb: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) RGB 0..255 to (N, 3, H, W) float32 as the nets take it."""
    return np.ascontiguousarray(((rgb - 127.5) * 0.0078125).transpose(0, 3, 1, 2), np.float32)


def _scales(h: int, w: int, min_size: float, factor: float) -> list[float]:
    """The pyramid's scales: ``min_size`` maps to 12 pixels, down while the short side >= 12."""
    scale = CELL / min_size
    short = min(h, w) * scale
    scales = []
    while short >= CELL:
        scales.append(scale)
        scale *= factor
        short *= factor
    return scales


def _square(xyxy: np.ndarray) -> np.ndarray:
    """Squares with the same centres, sides = the boxes' longer sides (MTCNN's ``rerec``)."""
    wh = xyxy[:, 2:] - xyxy[:, :2]
    side = wh.max(axis=1, keepdims=True)
    tl = xyxy[:, :2] + wh * 0.5 - side * 0.5
    return np.concatenate([tl, tl + side], axis=1)


def _regress(xyxy: np.ndarray, reg: np.ndarray, plus_one: bool = True) -> np.ndarray:
    """Apply the nets' box regression (offsets as fractions of width and height)."""
    wh = xyxy[:, 2:] - xyxy[:, :2] + (1.0 if plus_one else 0.0)
    return xyxy + reg * np.tile(wh, 2)


def _nms_min(xyxy: np.ndarray, score: np.ndarray, threshold: float) -> np.ndarray:
    """Greedy NMS by intersection over the smaller box (facenet-pytorch's 'Min', +1 areas)."""
    area = np.prod(xyxy[:, 2:] - xyxy[:, :2] + 1, axis=1)
    order = np.argsort(score)[::-1]  # ties broken as facenet-pytorch breaks them
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        tl = np.maximum(xyxy[best, :2], xyxy[rest, :2])
        br = np.minimum(xyxy[best, 2:], xyxy[rest, 2:])
        inter = np.prod(np.clip(br - tl + 1, 0, None), axis=1)
        order = rest[inter / np.minimum(area[best], area[rest]) <= threshold]
    return np.asarray(keep, dtype=np.int64)


class MtcnnDetector(FaceDetector):
    """MTCNN on three runtimes: P-Net (the base class's runtime), R-Net and O-Net.

    ``min_size`` is the face size (pixels) the pyramid starts from; smaller faces that the box
    regression still reports are dropped at the end. ``score_threshold`` is the O-Net
    score a face needs, ``thresholds`` the P-Net and R-Net scores. ``max_batch`` caps the crops
    per R-Net or O-Net run (256 = the largest batch of the TensorRT runtime's default profile).
    The defaults are facenet-pytorch's, but for the O-Net score: 0.9 (facenet-pytorch: 0.7)
    drops the false second faces 0.6 and 0.7 gave on 3 and 1 of the 51 London portraits.
    """

    DEFAULT_SCORE = 0.9

    def __init__(
        self,
        pnet: Runtime,
        rnet: Runtime,
        onet: Runtime,
        model: ModelRef,
        *,
        score_threshold: float | None = None,
        nms_iou: float = 0.7,
        min_size: int = 20,
        thresholds: tuple[float, float] = (0.6, 0.7),
        factor: float = 0.709,
        max_batch: int = 256,
    ) -> None:
        super().__init__(
            pnet, model, score_threshold=score_threshold, nms_iou=nms_iou, min_size=min_size
        )
        for runtime, size, name in ((rnet, 24, "R-Net"), (onet, 48, "O-Net")):
            if len(runtime.inputs) != 1 or runtime.inputs[0].fixed_hw() != (size, size):
                raise ModelError(f"{name} takes one Nx3x{size}x{size} input, not {runtime.inputs}")
        self.rnet, self.onet = rnet, onet
        self.thresholds = thresholds
        self.factor = factor
        self.max_batch = max_batch

    @classmethod
    def load(
        cls, model: ModelRef, config: RuntimeConfig | None = None, **kwargs: float
    ) -> MtcnnDetector:
        """P-Net from ``model.path``, R-Net and O-Net from ``rnet.onnx`` and ``onet.onnx``
        beside it, each on the runtime ``config`` names; ``kwargs`` go to the constructor."""
        paths = [Path(model.path), *(Path(model.path).with_name(n) for n in COMPANIONS)]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ModelError(f"MTCNN needs pnet, rnet and onet side by side; missing {missing}")
        pnet, rnet, onet = (load_runtime(p, config) for p in paths)
        return cls(pnet, rnet, onet, model, **kwargs)  # type: ignore[arg-type]

    def detect(self, image: np.ndarray) -> Detections:
        h, w = image.shape[:2]
        pixels = AreaSampler(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
        xyxy = self._propose(pixels, h, w)
        if len(xyxy):
            xyxy = self._refine(pixels, xyxy, h, w)
        if len(xyxy):
            xyxy, score, points = self._output(pixels, xyxy, h, w)
        if not len(xyxy):
            return Detections.empty()
        return self.finish(xyxy, score, points, image)

    def _propose(self, pixels: AreaSampler, h: int, w: int) -> np.ndarray:
        """Stage 1: P-Net over the pyramid; squared candidate boxes (N, 4)."""
        whole = np.array([[0, 0, w, h]])
        found = []
        for scale in _scales(h, w, self.min_size, self.factor):
            scaled = pixels.sample(whole, int(w * scale + 1), int(h * scale + 1))
            reg, prob = self.runtime.run({self.input_name: _normalise(scaled)})
            rows, cols = np.nonzero(prob[0, 1] >= self.thresholds[0])
            if not rows.size:
                continue
            cells = np.stack([cols, rows], axis=1).astype(np.float32) * STRIDE
            xyxy = np.floor(np.concatenate([cells + 1, cells + CELL], axis=1) / scale)
            score = prob[0, 1, rows, cols]
            keep = nms(xyxy, score, 0.5)
            found.append((xyxy[keep], score[keep], reg[0][:, rows, cols].T[keep]))
        if not found:
            return np.zeros((0, 4), np.float32)
        xyxy, score, reg = (np.concatenate(parts) for parts in zip(*found, strict=True))
        keep = nms(xyxy, score, 0.7)
        return _square(_regress(xyxy[keep], reg[keep], plus_one=False))

    def _refine(self, pixels: AreaSampler, xyxy: np.ndarray, h: int, w: int) -> np.ndarray:
        """Stage 2: R-Net re-scores and regresses the candidates; squared boxes (N, 4)."""
        xyxy, crops = self._crops(pixels, xyxy, 24, h, w)
        reg, prob = self._run_batched(self.rnet, crops)
        keep = prob[:, 1] > self.thresholds[1]
        xyxy, score, reg = xyxy[keep], prob[keep, 1], reg[keep]
        kept = nms(xyxy, score, 0.7)
        return _square(_regress(xyxy[kept], reg[kept]))

    def _output(
        self, pixels: AreaSampler, xyxy: np.ndarray, h: int, w: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Stage 3: O-Net's final boxes (N, 4), scores (N,) and landmarks (N, 5, 2)."""
        xyxy, crops = self._crops(pixels, xyxy, 48, h, w)
        reg, marks, prob = self._run_batched(self.onet, crops)
        keep = prob[:, 1] > self.score_threshold
        xyxy, score, reg, marks = xyxy[keep], prob[keep, 1], reg[keep], marks[keep]
        # x1..x5, y1..y5 as fractions of the box, in the order image-left eye, image-right eye,
        # nose, image-left and image-right mouth corner: the subject's right first, as ours.
        wh = xyxy[:, 2:] - xyxy[:, :2] + 1
        points = np.stack([marks[:, :5], marks[:, 5:]], axis=2) * wh[:, None] + xyxy[:, None, :2]
        xyxy = _regress(xyxy, reg)
        kept = _nms_min(xyxy, score, 0.7)
        return xyxy[kept], score[kept], points[kept] - 1

    def _crops(
        self, pixels: AreaSampler, xyxy: np.ndarray, size: int, h: int, w: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The boxes that overlap the image, and their crops (N, 3, size, size) as the nets take
        them. Parts outside the image are cut off, not padded (facenet-pytorch's ``pad``), so a
        crop at the border is stretched."""
        box = np.trunc(xyxy).astype(np.int64)
        box[:, :2] = np.maximum(box[:, :2], 1) - 1
        box[:, 2:] = np.minimum(box[:, 2:], [w, h])
        valid = (box[:, 2] > box[:, 0]) & (box[:, 3] > box[:, 1])
        return xyxy[valid], _normalise(pixels.sample(box[valid], size, size))

    def _run_batched(self, runtime: Runtime, x: np.ndarray) -> list[np.ndarray]:
        """``runtime`` on ``x`` in chunks of at most ``max_batch``; the outputs concatenated.
        No crops: empty outputs, without a run."""
        name = runtime.inputs[0].name
        if not len(x):
            return [np.zeros((0, *o.shape[1:]), np.float32) for o in runtime.outputs]
        step = self.max_batch
        outs = [runtime.run({name: x[i : i + step]}) for i in range(0, len(x), step)]
        return [np.concatenate(parts) for parts in zip(*outs, strict=True)]
