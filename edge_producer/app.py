"""What ``ivica edge run`` does: run a pipeline over a source, events to the senders."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import cv2
import yaml

from contracts.events import Event
from edge_producer.build import build_pipeline
from edge_producer.capture import ClipRecorder, build_capture
from edge_producer.config import EdgeConfig, load_config
from edge_producer.errors import EdgeError
from edge_producer.frames import Frame
from edge_producer.health import Health
from edge_producer.pipelines import Pipeline
from edge_producer.preview import Preview
from edge_producer.report import RunReport
from edge_producer.senders import MessageSender
from edge_producer.senders.build import build_senders
from edge_producer.sources import open_source
from edge_producer.sources.processing import paced

log = logging.getLogger(__name__)

MAX_FAILED_FRAMES = 25
"""Frames in a row whose processing may fail before the run stops (one bad frame is skipped)."""


def edge_config(config_path: str | Path | None = None, **overrides: Any) -> EdgeConfig:
    """The config from a YAML file (optional) with command-line values laid over it.

    ``source``, ``start_time``, ``max_frames`` go into the source section; ``geometry`` is a
    geometry YAML file that replaces the config's geometry section; None values are ignored.
    Without a file, ``source`` is required.
    """
    base = load_config(config_path).model_dump() if config_path else {}
    source_keys = {"source": "uri", "start_time": "start_time", "max_frames": "max_frames"}
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "geometry":
            base[key] = _read_yaml(Path(value))
        elif key in source_keys:
            base.setdefault("source", {})[source_keys[key]] = value
        else:
            base[key] = value
    if "source" not in base:
        raise EdgeError("no source: pass --source PATH_OR_URL or a --config with source.uri")
    return EdgeConfig.model_validate(base)


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise EdgeError(f"geometry file {path} not found")
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    """SIGTERM stops the run as Ctrl-C (SIGINT) does: cleanly, open visits closed as
    ``shutdown``. Only the main thread can install the handler; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_with_progress(config: EdgeConfig) -> RunReport:
    """:func:`run` with a progress bar and log lines on standard error. The bar is shown on a
    terminal only: a service's log file gets the health lines, not a bar redrawn every frame.
    The broker clients' own connection errors are left out: during an outage the senders log
    one line a retry."""
    from tqdm import tqdm

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for noisy in ("kafka", "pika"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)

    with tqdm(total=config.source.max_frames, unit="frame", desc="edge", disable=None) as bar:
        return run(config, on_frame=lambda _: bar.update())


def run(
    config: EdgeConfig,
    senders: Sequence[MessageSender] = (),
    *,
    pipeline: Pipeline | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> RunReport:
    """Run the configured pipeline over the source until it ends (or Ctrl-C).

    Events go to every sender in ``senders`` and to the configured ones (``config.senders``,
    ``config.output_file``), which this run builds and closes: a broker sender's events that
    are still unconfirmed at the end stay in its spool for the next start. Health counters
    are logged and served as configured (``config.health``), and clips recorded when
    ``config.capture`` is on (privacy-filtered first). A frame whose processing fails
    is logged and skipped; more than :data:`MAX_FAILED_FRAMES` failures in a row stop the run
    with :class:`EdgeError`. At the end of the source (and at each restart of a looping one)
    the zone visits still open are sent as ``stream_end``; on Ctrl-C or SIGTERM as
    ``shutdown``.
    """
    pipeline = pipeline or build_pipeline(config)
    report = RunReport(timer=pipeline.timer)
    with ExitStack() as stack:
        owned = build_senders(config)
        for sender in owned:
            stack.callback(sender.close)
        targets = [*senders, *owned]
        health = stack.enter_context(Health(config.health, report, targets))
        health.start()
        # after the senders: a frame reaches the disk only through the privacy filter
        recorders = [
            stack.enter_context(r)
            for r in (
                Preview(config.preview, geometry=config.geometry) if config.preview else None,
                build_capture(config),
            )
            if r is not None
        ]
        source = stack.enter_context(open_source(config.source))
        frames = paced(source) if config.source.realtime else source
        with _sigterm_stops():
            _loop(pipeline, frames, targets, report, recorders, on_frame)
        for sender in targets:
            sender.flush()
        log.info("edge: %s", health.line())
    return report


def _loop(
    pipeline: Pipeline,
    frames: Iterable[Frame],
    targets: Sequence[MessageSender],
    report: RunReport,
    recorders: Sequence[Preview | ClipRecorder],
    on_frame: Callable[[int], None] | None,
) -> None:
    def send(events: list[Event]) -> None:
        for event in events:
            for sender in targets:
                sender.send(event)
        report.count(events)

    failures = 0
    start = time.perf_counter()
    try:
        for frame in frames:
            report.frames_read = frame.frame_id + 1
            if frame.restart:  # the scene jumped: tracks end, ids are never reused
                send(pipeline.finish("stream_end"))
                pipeline.reset()
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
            send(events)
            report.frames += 1
            for recorder in recorders:
                recorder.write(frame, events)
            if on_frame:
                on_frame(report.frames)
            report.seconds = time.perf_counter() - start
        send(pipeline.finish("stream_end"))
    except KeyboardInterrupt:
        log.warning("interrupted: stopping after %d frames", report.frames)
        send(pipeline.finish("shutdown"))
    finally:
        report.seconds = time.perf_counter() - start
