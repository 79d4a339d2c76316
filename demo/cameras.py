"""The demo's cameras: `ivica edge run` processes on the real clips of ../shared/media, looped
and paced in real time, each with the all pipeline and the bundled models, publishing through
its Kafka sender and spool. Two sites, four cameras."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from infra.config import REPO_ROOT, StackConfig
from infra.proc import read_pid, spawn, stop_pid

MEDIA = REPO_ROOT.parent / "shared" / "media"


@dataclass(frozen=True)
class Camera:
    site_id: str
    camera_id: str
    clip: str
    geometry: dict  # its lines and zones (docs/zones.md), fitted to the clip


GEOMETRY_VERSION = "demo-2026-12-05"
# The walking clip: the woman crosses the middle of the hall leftwards (its left half is
# "out"), both walkers stand on the floor the whole clip.
WALKING = {
    "version": GEOMETRY_VERSION,
    "lines": [{"id": "hall", "points": [[0.5, 0.2], [0.5, 1.0]], "in_side": "left",
               "anchor": "center"}],
    "zones": [{"id": "floor", "polygon": [[0.1, 0.5], [0.9, 0.5], [0.9, 1.0], [0.1, 1.0]]}],
}  # fmt: skip
# The one-by-one clip, as tests/edge_producer/test_geometry_clips.py checks it against the
# hand-labelled truth: people leave through the exit on the right, walk in across the front,
# stand at the table.
ONE_BY_ONE = {
    "version": GEOMETRY_VERSION,
    "lines": [
        {"id": "exit", "points": [[0.75, 1.0], [0.75, 0.6]], "in_side": "left"},
        {"id": "front", "points": [[0.3, 0.95], [0.7, 0.95]], "in_side": "left"},
    ],
    "zones": [{"id": "table", "polygon": [[0.5, 0.8], [0.7, 0.8], [0.7, 0.97], [0.5, 0.97]]}],
}
# The store aisle: a shopper walks in from the bottom right, left across the line (x 0.78: her
# track is confirmed at about x 0.82, so a line further right is crossed before she has an id);
# two others stand at the shelves.
STORE_AISLE = {
    "version": GEOMETRY_VERSION,
    "lines": [{"id": "aisle-entry", "points": [[0.78, 1.0], [0.78, 0.4]], "in_side": "left",
               "anchor": "center"}],
    "zones": [{"id": "shelves",
               "polygon": [[0.5, 0.55], [0.95, 0.55], [0.95, 1.0], [0.5, 1.0]]}],
}  # fmt: skip

CAMERAS = (
    Camera("demo-lobby", "demo-lobby-door", "intel_face_demographics_walking_480x270.mp4",
           WALKING),
    Camera("demo-lobby", "demo-lobby-hall", "intel_one_by_one_person_768x432.mp4", ONE_BY_ONE),
    Camera("demo-store", "demo-store-aisle", "intel_store_aisle_detection_480x270.mp4",
           STORE_AISLE),
    Camera("demo-store", "demo-store-entry", "intel_face_demographics_walking_480x270.mp4",
           WALKING),
)  # fmt: skip
FPS = 3.0  # frames processed per second of video, per camera: four fit on two cores


def folder(cfg: StackConfig) -> Path:
    return cfg.state / "demo" / "cameras"


def edge_config(cfg: StackConfig, cam: Camera) -> dict:
    """The edge config of one demo camera."""
    home = folder(cfg) / cam.camera_id
    return {
        "site_id": cam.site_id,
        "camera_id": cam.camera_id,
        "pipeline": "all",
        "source": {"uri": str(MEDIA / cam.clip), "loop": True, "realtime": True,
                   "target_fps": FPS},
        "runtime": {"device": "cpu", "threads": 1},
        "senders": [{"kind": "kafka", "bootstrap": cfg.kafka_bootstrap}],
        "spool": {"dir": str(home / "spool")},
        "health": {"log_interval_s": 60},
        "geometry": cam.geometry,
    }  # fmt: skip


def start(cfg: StackConfig, echo=print) -> None:
    """Start each camera that is not running."""
    missing = [c.clip for c in CAMERAS if not (MEDIA / c.clip).is_file()]
    if missing:
        raise FileNotFoundError(f"the demo's clips are missing from {MEDIA}: {missing}")
    for cam in CAMERAS:
        home = folder(cfg) / cam.camera_id
        if read_pid(home / "pid") is not None:
            echo(f"camera {cam.camera_id}: already running")
            continue
        home.mkdir(parents=True, exist_ok=True)
        config = home / "edge.yaml"
        config.write_text(yaml.safe_dump(edge_config(cfg, cam), sort_keys=False))
        ivica = Path(sys.executable).with_name("ivica")
        spawn([str(ivica), "edge", "run", "--config", str(config)], home / "log", home / "pid")
        echo(f"camera {cam.camera_id} ({cam.site_id}): {cam.clip}, log {home / 'log'}")


def running(cfg: StackConfig) -> list[str]:
    return [c.camera_id for c in CAMERAS if read_pid(folder(cfg) / c.camera_id / "pid")]


def stop(cfg: StackConfig, echo=print) -> None:
    """Stop every camera (SIGTERM: each flushes what it can; the rest stays spooled)."""
    for cam in CAMERAS:
        pid = read_pid(folder(cfg) / cam.camera_id / "pid")
        if pid is not None:
            stop_pid(pid, cfg.timeouts.stop_s)
            echo(f"camera {cam.camera_id}: stopped")
