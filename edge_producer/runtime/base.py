"""The small interface every inference runtime offers: named tensors in, a list of arrays out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from edge_producer.errors import ModelError

__all__ = ["ModelError", "Runtime", "TensorSpec"]


@dataclass(frozen=True)
class TensorSpec:
    """A model input or output: its name, shape (int, or a name/None for a dynamic axis), dtype."""

    name: str
    shape: tuple[int | str | None, ...]
    dtype: np.dtype

    def fixed_hw(self) -> tuple[int, int] | None:
        """(height, width) of an NCHW input when both are fixed numbers, else None."""
        if len(self.shape) == 4 and all(isinstance(d, int) for d in self.shape[2:]):
            return int(self.shape[2]), int(self.shape[3])  # type: ignore[arg-type]
        return None


class Runtime(ABC):
    """One loaded ONNX model, ready to run."""

    inputs: list[TensorSpec]
    """The model's inputs, in the model's order (set by the implementation when it loads)."""
    outputs: list[TensorSpec]
    """The model's outputs, in the order :meth:`run` returns them."""

    @property
    @abstractmethod
    def provider(self) -> str:
        """What actually runs the model, e.g. 'CPUExecutionProvider' or 'TensorRT 10.3 fp16'."""

    @abstractmethod
    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        """Run once. ``feeds`` maps input names to arrays; returns every output, in order."""

    def check_feeds(self, feeds: Mapping[str, np.ndarray]) -> None:
        """Raise ModelError when a feed is missing or its shape contradicts a fixed axis."""
        for spec in self.inputs:
            if spec.name not in feeds:
                raise ModelError(f"input {spec.name!r} missing (the model takes {self.inputs})")
            shape = feeds[spec.name].shape
            fixed = [d if isinstance(d, int) else None for d in spec.shape]
            if len(shape) != len(fixed) or any(
                f is not None and f != s for f, s in zip(fixed, shape, strict=True)
            ):
                raise ModelError(
                    f"input {spec.name!r} has shape {tuple(shape)}, the model expects {spec.shape}"
                )
