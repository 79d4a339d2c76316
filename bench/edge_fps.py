"""Edge pipeline speed on a fixed clip, against the raw detector on the same frames (not a test).

    .venv/bin/python -m bench.edge_fps [--clip PATH] [--frames 120] [--pipelines people ...]
        [--device auto|cpu|cuda] [--repeats 2]
    .venv/bin/python -m bench.edge_fps --geometry-cost [--frames 120] [--repeats 3]

For each pipeline it prints frames per second, each stage's share of the time, the ratio of the
pipeline's FPS to its raw detector's inference-only FPS on the same frames in the same run (the
person detector for people and all, the face detector on whole frames for gender), and the peak
RSS of a separate process that runs the pipeline over the clip with the real file source.
Each frame goes to the raw detector alone and then through the pipeline, one after the other,
so drift in the machine's load touches both sides alike. ``--geometry-cost`` instead sets
``all`` with a geometry (a line and a zone the clip's people cross and stand in) against
``all`` without one, frame by frame side by side in the same way. See bench/README.md.
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
    # in the whole frame instead of the person boxes, a track classified for as long as it
    # lives (its gender never settles)
    "all-every-frame": {"pipeline": "all", "gender": {"classify_interval_s": 0}},
    "all-frame-search": {"pipeline": "all", "faces": {"search": "frame"}},
    "all-no-settle": {"pipeline": "all", "gender": {"settle_votes": 0}},
    # gender_v3 with its flip average in float, as on a GPU (the CPU default is gender_v3_int8)
    "all-gender-v3": {"pipeline": "all", "gender": {"model": "gender_v3"}},
    # lines and zones: the woman crosses the line at about frame 16, both stand in the zone
    "all-geometry": {
        "pipeline": "all",
        "geometry": {
            "version": "bench",
            "lines": [
                {
                    "id": "hall",
                    "points": [[0.5, 0.2], [0.5, 1.0]],
                    "in_side": "left",
                    "anchor": "center",
                }
            ],
            "zones": [{"id": "hall", "polygon": [[0.3, 0.3], [0.9, 0.3], [0.9, 1.0], [0.3, 1.0]]}],
        },
    },
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


def interleaved_seconds(
    frames: list[Frame], detect: Callable[[np.ndarray], object], pipeline: Pipeline
) -> tuple[float, float]:
    """Seconds spent by the raw detector and by the pipeline, frame by frame side by side: each
    frame goes to the detector alone, then through the pipeline, so load drift touches both."""
    for frame in frames[:WARMUP]:
        detect(frame.image)
        pipeline.process(frame)
    pipeline.reset()
    detector_s = pipeline_s = 0.0
    for frame in frames:
        start = time.perf_counter()
        detect(frame.image)
        middle = time.perf_counter()
        pipeline.process(frame)
        detector_s += middle - start
        pipeline_s += time.perf_counter() - middle
    return detector_s, pipeline_s


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
    pipeline = build_pipeline(cfg)
    detector = raw_detector(pipeline)
    runs = [interleaved_seconds(frames, detector.detect, pipeline) for _ in range(repeats)]
    detector_s = sum(d for d, _ in runs)
    pipeline_s = sum(p for _, p in runs)
    ratios = ", ".join(f"{d / p:.2f}" for d, p in runs)
    n = len(frames) * repeats
    return (
        f"{name}: {n / pipeline_s:.1f} fps pipeline vs {n / detector_s:.1f} fps "
        f"{detector.model.name} alone = {detector_s / pipeline_s:.2f}x (passes: {ratios}) "
        f"[{detector.runtime.provider}]\n    stages: {pipeline.timer.summary()}"
    )


def geometry_cost(frames: list[Frame], cfg: EdgeConfig, repeats: int) -> str:
    """``all`` with the geometry of ``cfg`` against ``all`` without it, frame by frame."""
    with_geometry = build_pipeline(cfg)
    plain = build_pipeline(cfg.model_copy(update={"geometry": None}))
    for frame in frames[:WARMUP]:
        plain.process(frame)
        with_geometry.process(frame)
    runs = []
    for _ in range(repeats):
        plain.reset()
        with_geometry.reset()
        with_geometry.finish("stream_end")
        plain_s = geometry_s = 0.0
        for frame in frames:
            start = time.perf_counter()
            plain.process(frame)
            middle = time.perf_counter()
            with_geometry.process(frame)
            plain_s += middle - start
            geometry_s += time.perf_counter() - middle
        runs.append((plain_s, geometry_s))
    plain_s = sum(p for p, _ in runs)
    geometry_s = sum(g for _, g in runs)
    n = len(frames) * repeats
    timer = with_geometry.timer
    stage_ms = 1000 * timer.seconds["geometry"] / timer.calls["geometry"]
    return (
        f"all-geometry: {n / geometry_s:.1f} fps with 1 line and 1 zone vs {n / plain_s:.1f} fps "
        f"without = {plain_s / geometry_s:.3f}x (passes: "
        f"{', '.join(f'{p / g:.3f}' for p, g in runs)}); geometry stage {stage_ms:.3f} ms a "
        f"frame ({timer.shares()['geometry']:.1%} of the pipeline's timed stages)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path, default=CLIP)
    parser.add_argument("--frames", type=int, default=120, help="frames per pass (clip loops)")
    parser.add_argument("--pipelines", nargs="+", choices=sorted(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the frames")
    parser.add_argument(
        "--geometry-cost", action="store_true", help="all with a geometry against all without"
    )
    parser.add_argument("--rss-worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_worker:
        rss_worker(args.rss_worker, args.clip, args.frames, args.device)
        return 0
    print(f"machine: {machine()}")
    print(f"clip:    {args.clip.name}, {args.frames} frames a pass, device {args.device}")
    if args.geometry_cost:
        cfg = config("all-geometry", args.clip, args.frames, args.device)
        print(geometry_cost(load_frames(cfg), cfg, args.repeats))
        return 0
    for name in args.pipelines:
        cfg = config(name, args.clip, args.frames, args.device)
        frames = load_frames(cfg)
        print(measure(name, frames, cfg, args.repeats))
        rss = peak_rss_mb(name, args.clip, args.frames, args.device)
        print(f"    peak RSS {rss:.0f} MB (separate process, file source, {args.frames} frames)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
