"""The pure half of the TensorRT runtime: engine cache key, cache path and optimisation profiles.

Nothing here needs TensorRT or a GPU, so the cache key and the profile defaults can be checked
anywhere (see the package docstring of :mod:`edge_producer.runtime.tensorrt`).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from edge_producer.models import sha256_file
from edge_producer.runtime.base import ModelError

Shape = tuple[int, ...]
Profile = tuple[Shape, Shape, Shape]
"""(min, opt, max) shapes of one input."""

DEFAULT_BATCH = (1, 16, 256)
"""(min, opt, max) of a dynamic batch axis (axis 0) of an input whose other axes are fixed."""
DEFAULT_IMAGE_BATCH = (1, 1, 1)
"""(min, opt, max) of a dynamic batch axis of an NCHW input with a dynamic height or width."""
DEFAULT_SIDE = (12, 640, 1280)
"""(min, opt, max) of a dynamic height or width of an NCHW input (axes 2 and 3)."""


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
    key = engine_cache_key(sha256_file(Path(model_path)), settings)  # follows edits to the ONNX
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
