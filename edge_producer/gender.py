"""Gender classifier base: aligned face chips in, one label and confidence per face out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

import numpy as np

from edge_producer.detections import Detections
from edge_producer.models import ModelRef

Gender = Literal["female", "male"]


@dataclass(frozen=True)
class GenderResult:
    """The classifier's answer for one face."""

    gender: Gender
    confidence: float
    """Probability of ``gender``, 0..1."""


class GenderClassifier(ABC):
    """Classifies faces; ``faces`` carry the five landmarks the chips are aligned from."""

    model: ModelRef

    @abstractmethod
    def classify(self, image: np.ndarray, faces: Detections) -> list[GenderResult]:
        """One result per face of ``faces``, in order, for the HxWx3 BGR ``image`` they were
        found in. Faces are batched into as few model calls as the batch size allows."""
