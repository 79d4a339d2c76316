"""TensorRT 10: an engine built from the same ONNX file on the device, cached on disk.

The first load parses the ONNX file (``trt.OnnxParser``), builds a serialized engine with the
configured precision and workspace, and writes it to ``tensorrt.engine_cache_dir`` under a name
derived from the SHA-256 of the ONNX file and of every setting that changes the engine
(:func:`engine_cache_key`). Later loads deserialize that file; a rebuild happens only when the
ONNX file, a setting, the TensorRT version or the GPU changes. Building takes seconds on a
desktop GPU and minutes on a Jetson.

Dynamic inputs get one optimisation profile. Each dynamic axis takes its ``(min, opt, max)``
from ``profiles`` (per input: three shapes) or from a default table that covers every bundled
model: the height and width of an NCHW input :data:`DEFAULT_SIDE` (YuNet, MTCNN's P-Net, whose
pyramid goes down to 12 pixels); the batch axis :data:`DEFAULT_BATCH` for fixed-size inputs
(face chips: the gender classifier, R-Net and O-Net in chunks of up to 256), and
:data:`DEFAULT_IMAGE_BATCH` (one at a time) where height or width is dynamic too, since TensorRT
sizes its memory for the largest shape of the profile. Any other dynamic axis needs ``profiles``.
A feed outside the profile is a :class:`ModelError` naming the range. The profiles are part of
the cache key.

INT8 reads an existing calibration cache (``tensorrt.int8_calibration_cache``); it never
calibrates on the device, so a missing cache is a :class:`ModelError`.

Device memory and copies use cuda-python (``cuda.bindings.runtime``, or the older
``cuda.cudart``). TensorRT and cuda-python are optional imports: without them this module still
imports (the cache key helpers work anywhere) and :class:`TensorRTRuntime` raises ModelError.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from edge_producer.config import RuntimeConfig, TensorRTConfig
from edge_producer.runtime.base import ModelError, Runtime, TensorSpec
from edge_producer.runtime.tensorrt.builder import (
    CUDA_MISSING,
    TRT_MISSING,
    _cuda,
    _device_name,
    _logger,
    build_plan,
    cudart,
    require_libraries,
    trt,
)
from edge_producer.runtime.tensorrt.engine_cache import (
    DEFAULT_BATCH,
    DEFAULT_IMAGE_BATCH,
    DEFAULT_SIDE,
    EngineSettings,
    Profile,
    Shape,
    _write_atomic,
    engine_cache_key,
    engine_cache_path,
    normalise_profiles,
    resolve_profiles,
)

__all__ = [
    "CUDA_MISSING",
    "DEFAULT_BATCH",
    "DEFAULT_IMAGE_BATCH",
    "DEFAULT_SIDE",
    "TRT_MISSING",
    "EngineSettings",
    "Profile",
    "Shape",
    "TensorRTRuntime",
    "cudart",
    "engine_cache_key",
    "engine_cache_path",
    "normalise_profiles",
    "resolve_profiles",
    "trt",
]

log = logging.getLogger(__name__)


def _nptype(dtype: Any, name: str) -> np.dtype:
    try:
        return np.dtype(trt.nptype(dtype))
    except TypeError as exc:
        raise ModelError(f"tensor {name!r} has type {dtype}, which numpy cannot hold") from exc


class TensorRTRuntime(Runtime):
    """One ONNX model as a TensorRT 10 engine, run with the tensor-address API."""

    def __init__(
        self,
        model_path: Path,
        config: RuntimeConfig | None = None,
        *,
        profiles: Mapping[str, Sequence[Sequence[int]]] | None = None,
    ) -> None:
        require_libraries()
        model_path = Path(model_path)
        if not model_path.is_file():
            raise ModelError(f"model file not found: {model_path}")
        trt_config = (config or RuntimeConfig(kind="tensorrt")).tensorrt
        int8_cache = self._int8_cache(trt_config)
        _cuda(cudart.cudaGetDeviceCount())  # a clear error where there is no usable GPU
        settings = EngineSettings(
            precision=trt_config.precision,
            workspace_mb=trt_config.workspace_mb,
            int8_cache_sha256=hashlib.sha256(int8_cache).hexdigest() if int8_cache else None,
            trt_version=str(trt.__version__),
            device=_device_name(),
            profiles=tuple(sorted(normalise_profiles(profiles).items())),
        )
        self.engine_path = engine_cache_path(model_path, settings, trt_config.engine_cache_dir)
        self._meta_path = self.engine_path.with_suffix(".json")
        self._trt_runtime = trt.Runtime(_logger())
        self._buffers: dict[str, tuple[int, int]] = {}
        self._stream: Any = None
        engine, self.precision = self._load_cached(trt_config.precision)
        self.built = engine is None
        """True when this instance built the engine, False when it came from the cache."""
        if engine is None:
            plan, self.precision = build_plan(model_path, trt_config, profiles, int8_cache)
            _write_atomic(self.engine_path, plan)
            meta = {"model": str(model_path), "precision": self.precision, **asdict(settings)}
            _write_atomic(self._meta_path, json.dumps(meta, indent=2).encode("utf-8"))
            engine = self._trt_runtime.deserialize_cuda_engine(plan)
            if engine is None:
                raise ModelError(f"TensorRT cannot load the engine it built for {model_path}")
        self._engine = engine
        self._context = engine.create_execution_context()
        if self._context is None:
            raise ModelError(f"TensorRT cannot create an execution context for {model_path}")
        self._stream = _cuda(cudart.cudaStreamCreate())
        self.inputs, self.outputs = [], []
        self._ranges: dict[str, Profile] = {}
        for i in range(engine.num_io_tensors):
            name = engine.get_tensor_name(i)
            shape = tuple(None if d < 0 else int(d) for d in engine.get_tensor_shape(name))
            spec = TensorSpec(name, shape, _nptype(engine.get_tensor_dtype(name), name))
            if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
                self.inputs.append(spec)
                if None in shape:
                    lo, opt, hi = engine.get_tensor_profile_shape(name, 0)
                    self._ranges[name] = (tuple(lo), tuple(opt), tuple(hi))
            else:
                self.outputs.append(spec)

    @staticmethod
    def _int8_cache(config: TensorRTConfig) -> bytes | None:
        if config.precision != "int8":
            return None
        path = config.int8_calibration_cache
        if path is None:
            raise ModelError(
                "precision int8 needs tensorrt.int8_calibration_cache (a calibration cache made "
                "off the device); or use precision fp16"
            )
        path = Path(path).expanduser()
        if not path.is_file():
            raise ModelError(f"INT8 calibration cache not found: {path}")
        return path.read_bytes()

    def _load_cached(self, precision: str) -> tuple[Any, str]:
        if not self.engine_path.is_file():
            return None, precision
        engine = self._trt_runtime.deserialize_cuda_engine(self.engine_path.read_bytes())
        if engine is None:
            log.warning("cannot deserialize %s: rebuilding it", self.engine_path)
            return None, precision
        with contextlib.suppress(OSError, ValueError, KeyError):
            precision = json.loads(self._meta_path.read_text(encoding="utf-8"))["precision"]
        return engine, precision

    @property
    def provider(self) -> str:
        return f"TensorRT {trt.__version__} {self.precision}"

    def _device_buffer(self, name: str, nbytes: int) -> int:
        ptr, size = self._buffers.get(name, (0, 0))
        if nbytes > size or not ptr:
            if ptr:
                _cuda(cudart.cudaFree(ptr))
                del self._buffers[name]
            size = max(nbytes, 256)
            ptr = int(_cuda(cudart.cudaMalloc(size)))
            self._buffers[name] = (ptr, size)
        return ptr

    def _check_range(self, name: str, shape: Shape) -> None:
        if name not in self._ranges:
            return
        lo, _, hi = self._ranges[name]
        if any(not a <= s <= b for a, s, b in zip(lo, shape, hi, strict=True)):
            raise ModelError(
                f"input {name!r} has shape {shape}, outside the engine's profile {lo} to {hi}; "
                "build with profiles={name: (min, opt, max)} that cover it"
            )

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        self.check_feeds(feeds)
        to_device = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
        to_host = cudart.cudaMemcpyKind.cudaMemcpyDeviceToHost
        stream = self._stream
        staged = []  # host arrays stay alive until the stream is synchronised
        for spec in self.inputs:
            arr = np.ascontiguousarray(feeds[spec.name], dtype=spec.dtype)
            self._check_range(spec.name, arr.shape)
            if not self._context.set_input_shape(spec.name, arr.shape):
                raise ModelError(f"TensorRT rejects shape {arr.shape} for input {spec.name!r}")
            ptr = self._device_buffer(spec.name, arr.nbytes)
            _cuda(cudart.cudaMemcpyAsync(ptr, arr.ctypes.data, arr.nbytes, to_device, stream))
            self._context.set_tensor_address(spec.name, ptr)
            staged.append(arr)
        results = []
        for spec in self.outputs:
            shape = tuple(self._context.get_tensor_shape(spec.name))
            if any(d < 0 for d in shape):
                raise ModelError(f"output {spec.name!r} has a data-dependent shape {shape}")
            out = np.empty(shape, dtype=spec.dtype)
            self._context.set_tensor_address(spec.name, self._device_buffer(spec.name, out.nbytes))
            results.append(out)
        if not self._context.execute_async_v3(int(stream)):
            raise ModelError("TensorRT execution failed; see its log")
        for spec, out in zip(self.outputs, results, strict=True):
            ptr = self._buffers[spec.name][0]
            _cuda(cudart.cudaMemcpyAsync(out.ctypes.data, ptr, out.nbytes, to_host, stream))
        _cuda(cudart.cudaStreamSynchronize(stream))
        del staged
        return results

    def close(self) -> None:
        """Free the device buffers and the stream (also done when the object is collected)."""
        if cudart is None:
            return
        for ptr, _ in getattr(self, "_buffers", {}).values():
            cudart.cudaFree(ptr)
        self._buffers = {}
        if getattr(self, "_stream", None) is not None:
            cudart.cudaStreamDestroy(self._stream)
            self._stream = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: CUDA may be gone already
            self.close()
