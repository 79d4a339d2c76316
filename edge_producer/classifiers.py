"""The ONNX gender classifier: faces aligned to small RGB chips, classified in batches."""

from __future__ import annotations

from typing import Literal

import numpy as np

from edge_producer.align import align_faces
from edge_producer.detections import Detections
from edge_producer.gender import GenderClassifier, GenderResult
from edge_producer.models import ModelRef
from edge_producer.runtime.base import ModelError, Runtime

RGB_MEAN = np.array([122.781998, 117.000999, 104.297997], dtype=np.float32)
"""Per-channel mean subtracted from the chip's RGB bytes (dlib's gender network, manifest)."""
SCALE = np.float32(1 / 256)
"""The centred bytes are multiplied by this (an exact power of two)."""
CHIP_PADDING = 0.2
"""dlib's default face-chip padding, with which the bundled model was trained."""
LABELS: tuple[Literal["female"], Literal["male"]] = ("female", "male")
"""The model's two output columns, in order."""


def _is_dim(value: object) -> bool:
    """Whether an axis is a fixed positive number (not a name or None)."""
    return isinstance(value, int) and value > 0


class OnnxGenderClassifier(GenderClassifier):
    """A face-chip classifier: Nx3xSxS RGB chips in, Nx2 probabilities [female, male] out.

    The chip side S is read from the model's input. Faces are aligned from their five
    landmarks (:func:`edge_producer.align.align_faces`) and classified ``batch_size`` chips per
    model call; a model with a fixed batch axis is given exactly that many, the last call padded.
    """

    def __init__(self, runtime: Runtime, model: ModelRef, batch_size: int = 16) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.runtime = runtime
        self.model = model
        if len(runtime.inputs) != 1:
            raise ModelError(
                f"{model.path}: a gender model takes one Nx3xSxS image input, the model has "
                f"{len(runtime.inputs)} inputs: {runtime.inputs}"
            )
        spec = runtime.inputs[0]
        shape = spec.shape
        if not (
            len(shape) == 4
            and shape[1] == 3
            and _is_dim(shape[2])
            and shape[2] == shape[3]
            and (_is_dim(shape[0]) or not isinstance(shape[0], int))
        ):
            raise ModelError(
                f"{model.path}: a gender model takes an Nx3xSxS RGB chip input with a fixed S, "
                f"input {spec.name!r} has shape {list(shape)}"
            )
        outputs = runtime.outputs
        if (
            not outputs
            or len(outputs[0].shape) != 2
            or (isinstance(outputs[0].shape[1], int) and outputs[0].shape[1] != len(LABELS))
        ):
            raise ModelError(
                f"{model.path}: a gender model returns Nx2 probabilities [female, male], output "
                f"{outputs[0].name if outputs else None!r} has shape "
                f"{list(outputs[0].shape) if outputs else None}"
            )
        side, batch = shape[2], shape[0]
        assert isinstance(side, int)
        self.input_name = spec.name
        self.chip_size = side
        self.fixed_batch = batch if isinstance(batch, int) else None
        """The model's own batch size where its batch axis is a fixed number."""
        self.batch_size = self.fixed_batch or batch_size

    def align(self, image: np.ndarray, faces: Detections) -> np.ndarray:
        """(N, S, S, 3) uint8 BGR chips of ``faces`` in the BGR ``image``, aligned from their
        five landmarks."""
        landmarks = faces.landmarks
        if len(faces) and landmarks.shape[1:] != (5, 2):
            raise ValueError(
                f"gender chips are aligned from 5 landmarks per face, the faces have "
                f"{landmarks.shape[1]}"
            )
        return align_faces(image, landmarks, self.chip_size, CHIP_PADDING)

    def preprocess(self, chips: np.ndarray) -> np.ndarray:
        """(N, 3, S, S) float32 model input from (N, S, S, 3) uint8 BGR chips."""
        rgb = chips[..., ::-1].astype(np.float32)
        rgb -= RGB_MEAN
        rgb *= SCALE
        return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2))

    def probabilities(self, chips: np.ndarray) -> np.ndarray:
        """(N, 2) float32 [female, male] probabilities of (N, S, S, 3) uint8 BGR chips, in
        ``batch_size`` chips per model call."""
        size = self.chip_size
        if chips.ndim != 4 or chips.shape[1:] != (size, size, 3):
            raise ValueError(f"chips must be (N, {size}, {size}, 3), got {chips.shape}")
        n = len(chips)
        out = np.zeros((n, len(LABELS)), dtype=np.float32)
        for start in range(0, n, self.batch_size):
            batch = self.preprocess(chips[start : start + self.batch_size])
            rows = len(batch)
            if self.fixed_batch is not None and rows < self.fixed_batch:
                batch = np.concatenate(
                    [batch, np.zeros((self.fixed_batch - rows, *batch.shape[1:]), np.float32)]
                )
            probs = self.runtime.run({self.input_name: batch})[0]
            if probs.shape != (len(batch), len(LABELS)):
                raise ModelError(
                    f"{self.model.path}: {len(batch)} chips in, output of shape {probs.shape} out"
                )
            out[start : start + rows] = probs[:rows]
        return out

    def classify_chips(self, chips: np.ndarray) -> list[GenderResult]:
        """One result per (S, S, 3) uint8 BGR chip of ``chips``, in order."""
        probs = self.probabilities(chips)
        best = probs.argmax(axis=1)
        return [
            GenderResult(LABELS[i], float(p[i])) for i, p in zip(best.tolist(), probs, strict=True)
        ]

    def classify(self, image: np.ndarray, faces: Detections) -> list[GenderResult]:
        if len(faces) == 0:
            return []
        return self.classify_chips(self.align(image, faces))
