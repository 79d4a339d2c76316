"""What ``ivica edge run`` and ``ivica edge probe`` do: run a pipeline over a source, or check
that the camera, the models and the runtime work."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import onnxruntime

from contracts.events import GenderClassification, PersonDetections
from edge_producer.build import build_pipeline, face_detector, gender_classifier, person_detector
from edge_producer.config import EdgeConfig, load_config
from edge_producer.errors import EdgeError, ModelError, SourceError
from edge_producer.pipelines import Pipeline
from edge_producer.preview import Preview
from edge_producer.senders import JsonlSender, MessageSender
from edge_producer.sources import open_source
from edge_producer.timing import StageTimer

log = logging.getLogger(__name__)

MAX_FAILED_FRAMES = 25
"""Frames in a row whose processing may fail before the run stops (one bad frame is skipped)."""


def edge_config(config_path: str | Path | None = None, **overrides: Any) -> EdgeConfig:
    """The config from a YAML file (optional) with command-line values laid over it.

    ``source``, ``start_time``, ``max_frames`` go into the source section; None values are
    ignored. Without a file, ``source`` is required.
    """
    base = load_config(config_path).model_dump() if config_path else {}
    source_keys = {"source": "uri", "start_time": "start_time", "max_frames": "max_frames"}
    for key, value in overrides.items():
        if value is None:
            continue
        if key in source_keys:
            base.setdefault("source", {})[source_keys[key]] = value
        else:
            base[key] = value
    if "source" not in base:
        raise EdgeError("no source: pass --source PATH_OR_URL or a --config with source.uri")
    return EdgeConfig.model_validate(base)


@dataclass
class RunReport:
    """What a run did."""

    frames: int = 0
    person_events: int = 0
    gender_events: int = 0
    failed_frames: int = 0
    seconds: float = 0.0
    timer: StageTimer = field(default_factory=StageTimer)

    def summary(self) -> str:
        fps = self.frames / self.seconds if self.seconds else 0.0
        return (
            f"{self.frames} frames in {self.seconds:.1f} s ({fps:.1f} fps): "
            f"{self.person_events} person_detections, {self.gender_events} "
            f"gender_classifications events; {self.failed_frames} frames failed\n"
            f"stages: {self.timer.summary()}"
        )


def run_with_progress(config: EdgeConfig) -> RunReport:
    """:func:`run` with a progress bar on standard error (frames processed and their rate)."""
    from tqdm import tqdm

    with tqdm(total=config.source.max_frames, unit="frame", desc="edge", leave=True) as bar:
        return run(config, on_frame=lambda _: bar.update())


def run(
    config: EdgeConfig,
    senders: Sequence[MessageSender] = (),
    *,
    pipeline: Pipeline | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> RunReport:
    """Run the configured pipeline over the source until it ends (or Ctrl-C).

    Events go to every sender in ``senders`` and, when ``config.output_file`` is set, to a
    JSONL file. A frame whose processing fails is logged and skipped; more than
    :data:`MAX_FAILED_FRAMES` failures in a row stop the run with :class:`EdgeError`.
    """
    pipeline = pipeline or build_pipeline(config)
    owned: list[MessageSender] = [JsonlSender(config.output_file)] if config.output_file else []
    targets = [*senders, *owned]
    preview = Preview(config.preview) if config.preview else None
    report = RunReport(timer=pipeline.timer)
    failures = 0
    start = time.perf_counter()
    try:
        with open_source(config.source) as source:
            for frame in source:
                try:
                    events = pipeline.process(frame)
                except (ValueError, RuntimeError, cv2.error) as exc:
                    failures += 1
                    report.failed_frames += 1
                    log.error("frame %d failed: %s", frame.frame_id, exc)
                    if failures > MAX_FAILED_FRAMES:
                        raise EdgeError(f"{failures} frames in a row failed; last: {exc}") from exc
                    continue
                failures = 0
                for event in events:
                    for sender in targets:
                        sender.send(event)
                report.frames += 1
                report.person_events += sum(isinstance(e, PersonDetections) for e in events)
                report.gender_events += sum(isinstance(e, GenderClassification) for e in events)
                if preview:
                    preview.write(frame, events)
                if on_frame:
                    on_frame(report.frames)
    except KeyboardInterrupt:
        log.warning("interrupted: stopping after %d frames", report.frames)
    finally:
        report.seconds = time.perf_counter() - start
        for sender in targets:
            sender.flush()
        for sender in owned:
            sender.close()
        if preview:
            preview.close()
    return report


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
