"""What ``ivica edge probe`` does: check that the camera, the models and the runtime work."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import onnxruntime

from edge_producer.build import face_detector, gender_classifier, person_detector
from edge_producer.config import EdgeConfig
from edge_producer.errors import EdgeError, ModelError, SourceError
from edge_producer.sources import open_source


@dataclass(frozen=True)
class Check:
    """One probe result."""

    name: str
    ok: bool
    detail: str


def _check(name: str, action: Callable[[], str]) -> Check:
    try:
        return Check(name, True, action())
    except (ModelError, SourceError, EdgeError, OSError, ValueError, cv2.error) as exc:
        return Check(name, False, str(exc))


def probe(config: EdgeConfig) -> list[Check]:
    """Check the runtime, every model the pipeline needs, and the camera; never raises."""
    checks = [
        Check(
            "onnxruntime",
            True,
            f"{onnxruntime.__version__}, providers {onnxruntime.get_available_providers()}",
        ),
        _optional(_check("tensorrt", _tensorrt_version), needed=config.runtime.kind == "tensorrt"),
        Check("opencv", True, f"{cv2.__version__}, GStreamer {_gstreamer()}"),
    ]
    frame_holder: list[Any] = []

    def camera() -> str:
        with open_source(config.source.model_copy(update={"max_frames": 1})) as source:
            for frame in source:
                frame_holder.append(frame.image)
                return (
                    f"{type(source).__name__}: {frame.width}x{frame.height}, "
                    f"fps {source.nominal_fps}, first frame captured at {frame.captured_at}"
                )
        raise EdgeError(f"source {config.source.uri!r} opened but gave no frame")

    checks.append(_check("camera", camera))
    image = frame_holder[0] if frame_holder else None
    builders: dict[str, Callable[[EdgeConfig], Any]] = {}
    if config.pipeline in ("people", "all"):
        builders["people model"] = person_detector
    if config.pipeline in ("gender", "all"):
        builders["face model"] = face_detector
        builders["gender model"] = gender_classifier
    for name, build in builders.items():
        checks.append(_check(name, lambda build=build: _model_detail(build(config), image)))
    return checks


def _optional(check: Check, *, needed: bool) -> Check:
    """A failed check of something this config does not use is not a failure."""
    if check.ok or needed:
        return check
    return Check(check.name, True, f"{check.detail} [not needed by this config]")


def _model_detail(part: Any, image: Any) -> str:
    model, runtime = part.model, getattr(part, "runtime", None)
    detail = f"{model.name} {model.version} ({model.path}, sha256 {model.sha256[:12]})"
    if runtime is not None:
        detail += f", {runtime.provider}, input {runtime.inputs[0].shape}"
    if image is not None and hasattr(part, "detect"):
        start = time.perf_counter()
        found = part.detect(image)
        detail += f", {len(found)} found on the first frame in "
        detail += f"{1000 * (time.perf_counter() - start):.0f} ms"
    return detail


def _tensorrt_version() -> str:
    try:
        import tensorrt  # type: ignore[import-not-found]
    except ImportError as exc:
        raise ModelError(
            "not installed (optional: comes with JetPack on a Jetson; runtime.kind "
            "'onnxruntime' works everywhere)"
        ) from exc
    return str(tensorrt.__version__)


def _gstreamer() -> str:
    for line in cv2.getBuildInformation().splitlines():
        if "GStreamer:" in line:
            return line.split(":", 1)[1].strip()
    return "unknown"
