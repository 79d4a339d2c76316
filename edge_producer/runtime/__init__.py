"""Inference runtimes behind one small interface: ONNX Runtime and TensorRT 10."""

from __future__ import annotations

from pathlib import Path

from edge_producer.config import RuntimeConfig
from edge_producer.runtime.base import ModelError, Runtime, TensorSpec

__all__ = ["ModelError", "Runtime", "TensorSpec", "load_runtime"]


def load_runtime(model_path: Path, config: RuntimeConfig | None = None) -> Runtime:
    """Load one ONNX file with the runtime that ``config.kind`` names."""
    config = config or RuntimeConfig()
    if config.kind == "onnxruntime":
        from edge_producer.runtime.onnxruntime import OnnxRuntime

        return OnnxRuntime(model_path, config)
    if config.kind == "tensorrt":
        from edge_producer.runtime.tensorrt import TensorRTRuntime

        return TensorRTRuntime(model_path, config)
    raise ModelError(f"unknown runtime {config.kind!r}: use 'onnxruntime' or 'tensorrt'")


def on_cpu(config: RuntimeConfig) -> bool:
    """Whether models run on ONNX Runtime's CPU provider under ``config`` (not CUDA, not
    TensorRT)."""
    if config.kind != "onnxruntime":
        return False
    from edge_producer.runtime.onnxruntime import CPU, providers

    return providers(config.device)[0] == CPU
