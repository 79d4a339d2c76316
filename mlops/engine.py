"""`ivica model build-engine`: a TensorRT engine from an ONNX file, in FP16, FP32 or INT8.

- FP16/FP32, and INT8 from an existing calibration cache: `trtexec` when it is on the PATH
  (JetPack puts it in /usr/src/tensorrt/bin), else the TensorRT Python API, through the same
  builder the edge's TensorRT runtime uses (`edge_producer/runtime/tensorrt/builder.py`).
- INT8 from a calibration set: the model runs on ONNX Runtime as the edge runs it (the role's
  detector or classifier, its own preprocessing) over the set's images, and the exact tensors
  it is fed are recorded; they calibrate the engine through the Python API, and TensorRT's
  scales are written to the calibration cache for later builds (`runtime.tensorrt.
  int8_calibration_cache` on the edge). Such an engine is built for the calibration input
  shape.

Everything that needs TensorRT raises a ModelError that says what is missing where it is
absent (no GPU, no TensorRT): recording the calibration inputs runs anywhere.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from edge_producer.config import EdgeConfig, TensorRTConfig
from edge_producer.runtime.base import ModelError, Runtime

Precision = Literal["fp32", "fp16", "int8"]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


class Recording(Runtime):
    """A runtime that runs another and keeps a copy of every input it is fed."""

    def __init__(self, inner: Runtime) -> None:
        self.inner = inner
        self.inputs, self.outputs = inner.inputs, inner.outputs
        self.fed: list[dict[str, np.ndarray]] = []

    @property
    def provider(self) -> str:
        return self.inner.provider

    def run(self, feeds: Mapping[str, np.ndarray]) -> list[np.ndarray]:
        self.fed.append({k: np.array(v, dtype=np.float32, copy=True) for k, v in feeds.items()})
        return self.inner.run(feeds)


def calibration_inputs(
    onnx: Path, role: str, folder: Path, decoder: str | None = None, limit: int = 512
) -> list[dict[str, np.ndarray]]:
    """The tensors the edge feeds `onnx` (in `role`) for up to `limit` images of `folder`, in
    batches of one shape: the most common shape among them."""
    from edge_producer import build
    from edge_producer.face_crops import crop_chip

    images = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise ModelError(f"no calibration images (jpg, png, bmp) under {folder}")
    section: dict[str, str] = {"model": str(onnx)}
    if decoder:
        section["decoder"] = decoder
    config = EdgeConfig.model_validate(
        {"source": {"uri": str(folder)}, "runtime": {"device": "cpu"}, role: section}
    )
    if role == "gender":
        component = build.gender_classifier(config)
        faces = build.face_detector(config)
    else:
        component = (
            build.person_detector(config) if role == "people" else build.face_detector(config)
        )
    recording = component.runtime = Recording(component.runtime)  # type: ignore[union-attr]
    for path in images[:limit]:
        image = cv2.imread(str(path))
        if image is None:
            continue
        if role == "gender":
            chip, _ = crop_chip(faces, component, image)  # type: ignore[arg-type]
            component.probabilities(chip[None])  # type: ignore[union-attr]
        else:
            component.detect(image)  # type: ignore[union-attr]
    shapes = [tuple(next(iter(f.values())).shape) for f in recording.fed]
    common = max(set(shapes), key=shapes.count)
    return [f for f, s in zip(recording.fed, shapes, strict=True) if s == common]


def build_engine(
    onnx: Path,
    out: Path,
    precision: Precision = "fp16",
    *,
    calibration: Path | None = None,
    calibration_cache: Path | None = None,
    role: str | None = None,
    decoder: str | None = None,
    workspace_mb: int = 1024,
) -> Path:
    """Build the engine into `out`; `calibration` (a folder of images, with `role`) or an
    existing `calibration_cache` for INT8."""
    if precision == "int8":
        _check_int8(calibration, calibration_cache, role)
    trtexec = shutil.which("trtexec")
    if trtexec and calibration is None:
        return _trtexec(trtexec, onnx, out, precision, calibration_cache, workspace_mb)
    from edge_producer.runtime.tensorrt.builder import (
        batch_calibrator,
        build_plan,
        require_libraries,
    )

    require_libraries()
    config = TensorRTConfig(precision=precision, workspace_mb=workspace_mb)
    calibrator, profiles, cache = None, None, None
    if precision == "int8" and calibration is not None:
        batches = calibration_inputs(onnx, role or "", calibration, decoder)
        calibrator = batch_calibrator(batches, calibration_cache)  # type: ignore[arg-type]
        profiles = {n: [a.shape] * 3 for n, a in batches[0].items()}
    elif calibration_cache is not None:
        cache = calibration_cache.read_bytes()
    plan, _precision = build_plan(onnx, config, profiles, cache, calibrator)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(plan)
    return out


def _check_int8(calibration: Path | None, cache: Path | None, role: str | None) -> None:
    if calibration is None and (cache is None or not cache.is_file()):
        raise ModelError(
            "INT8 needs --calibration FOLDER (with --role; writes --calibration-cache) or an "
            "existing --calibration-cache"
        )
    if calibration is not None and (role is None or cache is None):
        raise ModelError("INT8 from a calibration set needs --role and --calibration-cache")


def _trtexec(
    trtexec: str, onnx: Path, out: Path, precision: Precision, cache: Path | None, mb: int
) -> Path:
    command = [trtexec, f"--onnx={onnx}", f"--saveEngine={out}", f"--memPoolSize=workspace:{mb}M"]
    if precision in ("fp16", "int8"):
        command.append("--fp16")
    if precision == "int8":
        command += ["--int8", f"--calib={cache}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ModelError(
            f"trtexec failed ({done.returncode}):\n{done.stdout[-3000:]}{done.stderr[-2000:]}"
        )
    return out
