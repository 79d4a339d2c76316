"""What ``ivica edge run`` does: run a pipeline over a source, events to the senders."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2

from contracts.events import GenderClassification, PersonDetections
from edge_producer.build import build_pipeline
from edge_producer.config import EdgeConfig, load_config
from edge_producer.errors import EdgeError
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
