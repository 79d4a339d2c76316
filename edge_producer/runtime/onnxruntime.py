"""ONNX Runtime: CPU everywhere, the CUDA execution provider where one is present."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnxruntime as ort

from edge_producer.config import RuntimeConfig
from edge_producer.runtime.base import ModelError, Runtime, TensorSpec

_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
}
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


def providers(device: str) -> list[str]:
    """ONNX Runtime's execution providers for ``runtime.device``, in order of preference."""
    available = ort.get_available_providers()
    if device == "cuda":
        if CUDA not in available:
            raise ModelError(
                f"runtime.device is 'cuda' but ONNX Runtime offers only {available}; install "
                "onnxruntime-gpu (on a Jetson: NVIDIA's onnxruntime wheel for JetPack) or use "
                "device 'auto' or 'cpu'"
            )
        return [CUDA, CPU]
    if device == "auto" and CUDA in available:
        return [CUDA, CPU]
    return [CPU]


def _spec(arg: ort.NodeArg) -> TensorSpec:
    return TensorSpec(arg.name, tuple(arg.shape), np.dtype(_DTYPES.get(arg.type, np.float32)))


class OnnxRuntime(Runtime):
    """An ONNX model in an ``onnxruntime.InferenceSession``."""

    def __init__(self, model_path: Path, config: RuntimeConfig | None = None) -> None:
        config = config or RuntimeConfig()
        if not Path(model_path).is_file():
            raise ModelError(f"model file not found: {model_path}")
        options = ort.SessionOptions()
        options.log_severity_level = 3  # NanoDet's exports list weights as inputs: a warning.
        spinning = "1" if config.thread_spinning else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
        if config.threads:
            options.intra_op_num_threads = config.threads
        try:
            self._session = ort.InferenceSession(
                str(model_path), options, providers=providers(config.device)
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"ONNX Runtime cannot load {model_path}: {exc}") from exc
        self.inputs = [_spec(a) for a in self._session.get_inputs()]
        self.outputs = [_spec(a) for a in self._session.get_outputs()]
        self._names = [o.name for o in self.outputs]

    @property
    def provider(self) -> str:
        return self._session.get_providers()[0]

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        self.check_feeds(feeds)
        return self._session.run(self._names, dict(feeds))
