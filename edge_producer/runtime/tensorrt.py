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
import functools
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from edge_producer.config import RuntimeConfig, TensorRTConfig
from edge_producer.runtime.base import ModelError, Runtime, TensorSpec

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

Shape = tuple[int, ...]
Profile = tuple[Shape, Shape, Shape]
"""(min, opt, max) shapes of one input."""

DEFAULT_BATCH = (1, 16, 256)
"""(min, opt, max) of a dynamic batch axis (axis 0) of an input whose other axes are fixed."""
DEFAULT_IMAGE_BATCH = (1, 1, 1)
"""(min, opt, max) of a dynamic batch axis of an NCHW input with a dynamic height or width."""
DEFAULT_SIDE = (12, 640, 1280)
"""(min, opt, max) of a dynamic height or width of an NCHW input (axes 2 and 3)."""

TRT_MISSING = (
    "TensorRT is not installed: on a Jetson it comes with JetPack (python3-libnvinfer); "
    "elsewhere from NVIDIA's index; or use runtime.kind onnxruntime"
)
CUDA_MISSING = (
    "cuda-python is not installed: the TensorRT runtime copies tensors to the GPU with it; "
    "pip install cuda-python matching the device's CUDA (12.x on JetPack 6), or use "
    "runtime.kind onnxruntime"
)


# ---------------------------------------------------------------------------------------------
# Pure helpers (no TensorRT needed): cache key and optimisation profiles.


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, hex (read every time: the cache key must follow edits)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class EngineSettings:
    """Everything besides the ONNX file that changes a built engine."""

    precision: str
    workspace_mb: int
    int8_cache_sha256: str | None
    trt_version: str
    device: str
    """GPU name and compute capability, e.g. 'NVIDIA H100 80GB HBM3 sm_90'."""
    profiles: tuple[tuple[str, Profile], ...] = ()
    """Explicit profiles, sorted by input name (defaults are keyed by the table below)."""


def engine_cache_key(onnx_sha256: str, settings: EngineSettings) -> str:
    """SHA-256 (hex) naming one engine: the ONNX hash, the settings and the default profiles."""
    payload = {
        "onnx_sha256": onnx_sha256,
        "settings": asdict(settings),
        "default_profiles": [DEFAULT_BATCH, DEFAULT_IMAGE_BATCH, DEFAULT_SIDE],
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def engine_cache_path(model_path: Path, settings: EngineSettings, cache_dir: Path) -> Path:
    """Where the engine for ``model_path`` built with ``settings`` is kept."""
    key = engine_cache_key(file_sha256(Path(model_path)), settings)
    return Path(cache_dir).expanduser() / f"{Path(model_path).stem}.{settings.precision}.{key}.plan"


def normalise_profiles(
    profiles: Mapping[str, Sequence[Sequence[int]]] | None,
) -> dict[str, Profile]:
    """Check explicit profiles: three shapes of one rank per input, min <= opt <= max."""
    out: dict[str, Profile] = {}
    for name, shapes in (profiles or {}).items():
        if len(shapes) != 3:
            raise ModelError(f"profile for {name!r} needs (min, opt, max) shapes, got {shapes}")
        lo, opt, hi = (tuple(int(d) for d in s) for s in shapes)
        if not len(lo) == len(opt) == len(hi) or any(
            not 1 <= a <= b <= c for a, b, c in zip(lo, opt, hi, strict=True)
        ):
            raise ModelError(
                f"profile for {name!r} must have one rank and 1 <= min <= opt <= max per axis, "
                f"got {lo}, {opt}, {hi}"
            )
        out[name] = (lo, opt, hi)
    return out


def resolve_profiles(
    inputs: Sequence[tuple[str, Sequence[int | None]]],
    profiles: Mapping[str, Sequence[Sequence[int]]] | None = None,
) -> dict[str, Profile]:
    """(min, opt, max) for every input with a dynamic axis (-1 or None in ``inputs``' shapes).

    Explicit ``profiles`` win and must agree with the fixed axes; other dynamic axes take the
    default table. Inputs with only fixed axes need no profile and get none.
    """
    explicit = normalise_profiles(profiles)
    unknown = set(explicit) - {name for name, _ in inputs}
    if unknown:
        raise ModelError(f"profiles name inputs the model lacks: {sorted(unknown)}")
    out: dict[str, Profile] = {}
    for name, shape in inputs:
        dims = [None if d is None or d < 0 else int(d) for d in shape]
        if name in explicit:
            lo, opt, hi = explicit[name]
            if len(lo) != len(dims) or any(
                d is not None and not lo[i] == opt[i] == hi[i] == d for i, d in enumerate(dims)
            ):
                raise ModelError(
                    f"profile for {name!r} {explicit[name]} contradicts its shape {tuple(shape)}"
                )
            out[name] = explicit[name]
            continue
        if all(d is not None for d in dims):
            continue
        image = len(dims) == 4 and None in dims[2:]
        columns: list[tuple[int, int, int]] = []
        for axis, d in enumerate(dims):
            if d is not None:
                columns.append((d, d, d))
            elif axis == 0:
                columns.append(DEFAULT_IMAGE_BATCH if image else DEFAULT_BATCH)
            elif image and axis in (2, 3):
                columns.append(DEFAULT_SIDE)
            else:
                raise ModelError(
                    f"input {name!r} {tuple(shape)} has dynamic axis {axis} with no default "
                    "range: pass profiles={name: (min, opt, max)} to TensorRTRuntime"
                )
        lo, opt, hi = (tuple(c[i] for c in columns) for i in range(3))
        out[name] = (lo, opt, hi)
    return out


# ---------------------------------------------------------------------------------------------
# TensorRT and CUDA plumbing.


def _require_libraries() -> None:
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


def _fast_fp16(builder: Any) -> bool:
    # Deprecated in TensorRT 10.5 (still present in 10.x); assume True where it is gone.
    return bool(getattr(builder, "platform_has_fast_fp16", True))


def _build_engine(
    model_path: Path,
    config: TensorRTConfig,
    profiles: Mapping[str, Sequence[Sequence[int]]] | None,
    int8_cache: bytes | None,
) -> tuple[bytes, str]:
    """Parse ``model_path`` and build a serialized engine; returns it and the precision used."""
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
    calibrator = None
    if config.precision == "int8":
        build.set_flag(trt.BuilderFlag.INT8)
        calibrator = _cache_calibrator(int8_cache or b"")
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


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
        _require_libraries()
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
            plan, self.precision = _build_engine(model_path, trt_config, profiles, int8_cache)
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
        self._inputs, self._outputs = [], []
        self._ranges: dict[str, Profile] = {}
        for i in range(engine.num_io_tensors):
            name = engine.get_tensor_name(i)
            shape = tuple(None if d < 0 else int(d) for d in engine.get_tensor_shape(name))
            spec = TensorSpec(name, shape, _nptype(engine.get_tensor_dtype(name), name))
            if engine.get_tensor_mode(name) == trt.TensorIOMode.INPUT:
                self._inputs.append(spec)
                if None in shape:
                    lo, opt, hi = engine.get_tensor_profile_shape(name, 0)
                    self._ranges[name] = (tuple(lo), tuple(opt), tuple(hi))
            else:
                self._outputs.append(spec)

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
    def inputs(self) -> list[TensorSpec]:
        return self._inputs

    @property
    def outputs(self) -> list[TensorSpec]:
        return self._outputs

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
        for spec in self._inputs:
            arr = np.ascontiguousarray(feeds[spec.name], dtype=spec.dtype)
            self._check_range(spec.name, arr.shape)
            if not self._context.set_input_shape(spec.name, arr.shape):
                raise ModelError(f"TensorRT rejects shape {arr.shape} for input {spec.name!r}")
            ptr = self._device_buffer(spec.name, arr.nbytes)
            _cuda(cudart.cudaMemcpyAsync(ptr, arr.ctypes.data, arr.nbytes, to_device, stream))
            self._context.set_tensor_address(spec.name, ptr)
            staged.append(arr)
        results = []
        for spec in self._outputs:
            shape = tuple(self._context.get_tensor_shape(spec.name))
            if any(d < 0 for d in shape):
                raise ModelError(f"output {spec.name!r} has a data-dependent shape {shape}")
            out = np.empty(shape, dtype=spec.dtype)
            self._context.set_tensor_address(spec.name, self._device_buffer(spec.name, out.nbytes))
            results.append(out)
        if not self._context.execute_async_v3(int(stream)):
            raise ModelError("TensorRT execution failed; see its log")
        for spec, out in zip(self._outputs, results, strict=True):
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
