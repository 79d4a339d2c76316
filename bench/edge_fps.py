"""Edge pipeline speed on a fixed clip, against the raw detector on the same frames (not a test).

    .venv/bin/python -m bench.edge_fps [--clip PATH] [--frames 120] [--pipelines people ...]
        [--device auto|cpu|cuda] [--repeats 2]

For each pipeline it prints frames per second, each stage's share of the time, the ratio of the
pipeline's FPS to its raw detector's inference-only FPS on the same frames in the same run (the
person detector for people and all, the face detector on whole frames for gender), and the peak
RSS of a separate process that runs the pipeline over the clip with the real file source.
Passes run in the order detector, pipeline, pipeline, detector per repeat, so drift in the
machine's load touches both sides. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bench.machine import machine
from edge_producer.app import run
from edge_producer.build import build_pipeline
from edge_producer.config import EdgeConfig
from edge_producer.detectors.base import FaceDetector, PersonDetector
from edge_producer.frames import Frame
from edge_producer.pipelines import GenderClassificationPipeline, PeopleCounterPipeline, Pipeline
from edge_producer.sources import open_source
from infra.config import REPO_ROOT

CLIP = REPO_ROOT.parent / "shared" / "media" / "intel_face_demographics_walking_480x270.mp4"
START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
WARMUP = 10
VARIANTS: dict[str, dict] = {
    "people": {"pipeline": "people"},
    "gender": {"pipeline": "gender"},
    "all": {"pipeline": "all"},
    # the levers switched off: every tracked person classified on every frame, faces searched
    # in the whole frame instead of the person boxes
    "all-every-frame": {"pipeline": "all", "gender": {"classify_interval_s": 0}},
    "all-frame-search": {"pipeline": "all", "faces": {"search": "frame"}},
}


def config(variant: str, clip: Path, frames: int, device: str) -> EdgeConfig:
    return EdgeConfig.model_validate(
        {
            **VARIANTS[variant],
            "source": {"uri": str(clip), "start_time": START, "loop": True, "max_frames": frames},
            "runtime": {"device": device},
        }
    )


def load_frames(cfg: EdgeConfig) -> list[Frame]:
    with open_source(cfg.source) as source:
        return list(source)


def raw_detector(pipeline: Pipeline) -> PersonDetector | FaceDetector:
    """The pipeline's first detector: people for people and all, faces for gender."""
    if isinstance(pipeline, PeopleCounterPipeline):
        return pipeline.people
    assert isinstance(pipeline, GenderClassificationPipeline)
    return pipeline.faces


def timed_fps(frames: list[Frame], step: Callable[[Frame], object]) -> float:
    for frame in frames[:WARMUP]:
        step(frame)
    start = time.perf_counter()
    for frame in frames:
        step(frame)
    return len(frames) / (time.perf_counter() - start)


def peak_rss_mb(pipeline: str, clip: Path, frames: int, device: str) -> float:
    """Peak RSS of a fresh process that runs the pipeline over the clip (real file source)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.edge_fps",
            "--rss-worker",
            pipeline,
            "--clip",
            str(clip),
            "--frames",
            str(frames),
            "--device",
            device,
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["peak_rss_mb"])


def rss_worker(pipeline: str, clip: Path, frames: int, device: str) -> None:
    report = run(config(pipeline, clip, frames, device))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"frames": report.frames, "peak_rss_mb": round(peak, 1)}))


def measure(name: str, frames: list[Frame], cfg: EdgeConfig, repeats: int) -> str:
    detector_fps: list[float] = []
    pipeline_fps: list[float] = []
    pipeline = build_pipeline(cfg)
    detector = raw_detector(pipeline)
    detect = detector.detect
    for _ in range(repeats):
        detector_fps.append(timed_fps(frames, lambda f: detect(f.image)))
        for _ in range(2):
            pipeline.reset()  # new tracks and classify schedule, the same warm sessions
            pipeline_fps.append(timed_fps(frames, pipeline.process))
        detector_fps.append(timed_fps(frames, lambda f: detect(f.image)))
    det, pipe = float(np.mean(detector_fps)), float(np.mean(pipeline_fps))
    return (
        f"{name}: {pipe:.1f} fps pipeline vs {det:.1f} fps {detector.model.name} alone = "
        f"{pipe / det:.2f}x [{detector.runtime.provider}]\n    stages: {pipeline.timer.summary()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--frames", type=int, default=120, help="frames per pass (clip loops)")
    parser.add_argument("--pipelines", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    parser.add_argument("--repeats", type=int, default=2, help="detector/pipeline rounds")
    parser.add_argument("--rss-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_worker:
        rss_worker(args.rss_worker, args.clip, args.frames, args.device)
        return 0
    print(f"machine: {machine()}")
    print(f"clip:    {args.clip.name}, {args.frames} frames a pass, device {args.device}")
    for name in args.pipelines:
        cfg = config(name, args.clip, args.frames, args.device)
        frames = load_frames(cfg)
        print(measure(name, frames, cfg, args.repeats))
        rss = peak_rss_mb(name, args.clip, args.frames, args.device)
        print(f"    peak RSS {rss:.0f} MB (separate process, file source, {args.frames} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
