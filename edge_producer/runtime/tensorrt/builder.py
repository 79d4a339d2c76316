"""The TensorRT half that builds: library loading, the shared logger, the device name and
:func:`build_plan`, which parses an ONNX file and builds a serialized engine.

TensorRT and cuda-python are optional imports: without them this module still imports, with
``trt`` and ``cudart`` set to None, and :func:`require_libraries` raises ModelError.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from edge_producer.config import TensorRTConfig
from edge_producer.runtime.base import ModelError
from edge_producer.runtime.tensorrt.engine_cache import resolve_profiles

try:
    import tensorrt as trt
except Exception as _exc:  # ImportError, or OSError when libnvinfer is missing
    trt = None
    _TRT_IMPORT_ERROR = f"{type(_exc).__name__}: {_exc}"
else:
    _TRT_IMPORT_ERROR = ""

try:
    from cuda.bindings import runtime as cudart
except Exception:
    try:
        from cuda import cudart  # cuda-python < 12.6
    except Exception as _exc:
        cudart = None
        _CUDA_IMPORT_ERROR = f"{type(_exc).__name__}: {_exc}"
    else:
        _CUDA_IMPORT_ERROR = ""
else:
    _CUDA_IMPORT_ERROR = ""

log = logging.getLogger(__name__)
TRT_MISSING = (
    "TensorRT is not installed: on a Jetson it comes with JetPack (python3-libnvinfer); "
    "elsewhere from NVIDIA's index; or use runtime.kind onnxruntime"
)
CUDA_MISSING = (
    "cuda-python is not installed: the TensorRT runtime copies tensors to the GPU with it; "
    "pip install cuda-python matching the device's CUDA (12.x on JetPack 6), or use "
    "runtime.kind onnxruntime"
)


def require_libraries() -> None:
    if trt is None:
        raise ModelError(f"{TRT_MISSING} ({_TRT_IMPORT_ERROR})")
    major = int(str(trt.__version__).split(".")[0])
    if major != 10:
        raise ModelError(f"TensorRT 10 is required, found {trt.__version__}")
    if cudart is None:
        raise ModelError(f"{CUDA_MISSING} ({_CUDA_IMPORT_ERROR})")


def _cuda(result: Any) -> Any:
    """Unwrap a cuda-python ``(error, value...)`` tuple; a CUDA error is a ModelError."""
    err, *values = result if isinstance(result, tuple) else (result,)
    if err != cudart.cudaError_t.cudaSuccess:
        _, text = cudart.cudaGetErrorString(err)
        raise ModelError(f"CUDA error {getattr(err, 'name', err)}: {text.decode(errors='replace')}")
    if not values:
        return None
    return values[0] if len(values) == 1 else tuple(values)


@functools.cache
def _logger() -> Any:
    """One TensorRT logger per process (TensorRT wants the builder and runtime to share it)."""
    return trt.Logger(trt.Logger.WARNING)


def _device_name() -> str:
    device = _cuda(cudart.cudaGetDevice())
    props = _cuda(cudart.cudaGetDeviceProperties(device))
    name = props.name
    name = name.split(b"\0")[0].decode(errors="replace") if isinstance(name, bytes) else str(name)
    return f"{name.strip()} sm_{props.major}{props.minor}"


def _cache_calibrator(cache: bytes) -> Any:
    """An INT8 calibrator that only hands TensorRT an existing calibration cache."""

    class CacheCalibrator(trt.IInt8EntropyCalibrator2):
        """Has no images: get_batch ends calibration at once, the cache supplies the scales."""

        def __init__(self) -> None:
            super().__init__()

        def get_batch_size(self) -> int:
            return 1

        def get_batch(self, names: list[str]) -> None:
            return None

        def read_calibration_cache(self) -> bytes:
            return cache

        def write_calibration_cache(self, data: Any) -> None:
            return None

    return CacheCalibrator()


def batch_calibrator(batches: Sequence[Mapping[str, Any]], cache_path: Path) -> Any:
    """An INT8 calibrator fed recorded model inputs (one dict of float32 arrays per batch, all
    of one shape); TensorRT's scales are written to `cache_path` for later builds."""
    require_libraries()

    class BatchCalibrator(trt.IInt8EntropyCalibrator2):
        def __init__(self) -> None:
            super().__init__()
            self._batches = iter(batches)
            first = batches[0]
            self._size = int(next(iter(first.values())).shape[0])
            self._device = {n: _cuda(cudart.cudaMalloc(a.nbytes)) for n, a in first.items()}

        def get_batch_size(self) -> int:
            return self._size

        def get_batch(self, names: list[str]) -> list[int] | None:
            batch = next(self._batches, None)
            if batch is None:
                for pointer in self._device.values():
                    _cuda(cudart.cudaFree(pointer))
                self._device = {}
                return None
            kind = cudart.cudaMemcpyKind.cudaMemcpyHostToDevice
            for name in names:
                host = batch[name]
                _cuda(cudart.cudaMemcpy(self._device[name], host.ctypes.data, host.nbytes, kind))
            return [self._device[name] for name in names]

        def read_calibration_cache(self) -> bytes | None:
            return None  # calibrate from the batches; the cache is what this run writes

        def write_calibration_cache(self, data: Any) -> None:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache_path.write_bytes(bytes(data))

    return BatchCalibrator()


def _fast_fp16(builder: Any) -> bool:
    # Deprecated in TensorRT 10.5 (still present in 10.x); assume True where it is gone.
    return bool(getattr(builder, "platform_has_fast_fp16", True))


def build_plan(
    model_path: Path,
    config: TensorRTConfig,
    profiles: Mapping[str, Sequence[Sequence[int]]] | None,
    int8_cache: bytes | None,
    calibrator: Any = None,
) -> tuple[bytes, str]:
    """Parse ``model_path`` and build a serialized engine; returns it and the precision used.
    INT8 scales come from ``calibrator`` (:func:`batch_calibrator`), else ``int8_cache``."""
    logger = _logger()
    builder = trt.Builder(logger)
    network = builder.create_network(0)  # explicit batch: the only mode of TensorRT 10
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(model_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise ModelError(f"TensorRT cannot parse {model_path}: {errors or 'no details'}")
    build = builder.create_builder_config()
    build.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, config.workspace_mb << 20)
    precision = "fp32"
    if config.precision in ("fp16", "int8"):
        if _fast_fp16(builder):
            build.set_flag(trt.BuilderFlag.FP16)
            precision = "fp16"
        else:
            log.warning("this GPU has no fast FP16: building %s without FP16 kernels", model_path)
    if config.precision != "int8":
        calibrator = None
    else:
        build.set_flag(trt.BuilderFlag.INT8)
        calibrator = calibrator or _cache_calibrator(int8_cache or b"")
        build.int8_calibrator = calibrator
        precision = "int8"
    inputs = [network.get_input(i) for i in range(network.num_inputs)]
    shapes = resolve_profiles([(t.name, tuple(t.shape)) for t in inputs], profiles)
    if shapes:
        profile = builder.create_optimization_profile()
        for name, (lo, opt, hi) in shapes.items():
            profile.set_shape(name, lo, opt, hi)
        build.add_optimization_profile(profile)
        if calibrator is not None:
            build.set_calibration_profile(profile)
    log.warning("building a TensorRT %s engine for %s (minutes on a Jetson)", precision, model_path)
    plan = builder.build_serialized_network(network, build)
    if plan is None:
        hint = " (does the INT8 calibration cache belong to this model?)" if calibrator else ""
        raise ModelError(f"TensorRT could not build an engine for {model_path}{hint}; see its log")
    return bytes(plan), precision
