"""Video capture: local retention, clip rotation and metadata, and the privacy filter on real
faces (the bundled YuNet, as the edge builds it, must find none in what was stored)."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from contracts import validate_gender_classification, validate_person_detections
from contracts.timefmt import UTC, parse_ts
from edge_producer.app import run
from edge_producer.build import build_pipeline, face_detector
from edge_producer.capture import (
    ClipRecorder,
    LocalClipStore,
    PrivacyFilter,
    build_capture,
    metadata_path,
)
from edge_producer.config import EdgeConfig, LocalStoreConfig, PrivacyConfig, RuntimeConfig
from edge_producer.frames import Frame
from edge_producer.runtime import on_cpu
from tests.edge_producer.conftest import FACES_WALKING

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
DAY_S = 24 * 3600


def _config(tmp_path: Path, privacy: dict | None = None, **top: object) -> EdgeConfig:
    return EdgeConfig.model_validate(
        {
            "source": {"uri": str(FACES_WALKING), "start_time": START},
            "capture": {
                "enabled": True,
                "clip_seconds": 60,
                "fps": 4,
                "local": {"dir": str(tmp_path / "clips")},
            },
            "privacy": privacy or {},
            **top,
        }
    )


def _read_frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = cap.read()
        if not ok:
            break
        frames.append(image)
    cap.release()
    return frames


def _fake_clip(folder: Path, name: str, size: int, mtime: float) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    clip = folder / name
    clip.write_bytes(os.urandom(size))
    os.utime(clip, (mtime, mtime))
    return clip


# --- the default --------------------------------------------------------------------------------


def test_capture_is_off_by_default() -> None:
    config = EdgeConfig.model_validate({"source": {"uri": str(FACES_WALKING)}})
    assert config.capture.enabled is False
    assert build_capture(config) is None


# --- LocalClipStore retention -------------------------------------------------------------------


def test_local_store_keeps_the_newest_clips_within_max_bytes(tmp_path: Path) -> None:
    now = 1_800_000_000.0
    incoming = tmp_path / "incoming"
    store = LocalClipStore(
        LocalStoreConfig(dir=tmp_path / "clips", max_bytes=7000), clock=lambda: now
    )
    sizes = {}
    for i in range(5):
        clip = _fake_clip(incoming, f"c{i}.mp4", 2000 + i, now - 100 + i)
        store.put(clip, {"n": i})
        assert not clip.exists(), "put takes ownership of the clip"
        stored = tmp_path / "clips" / f"c{i}.mp4"
        sizes[i] = stored.stat().st_size + metadata_path(stored).stat().st_size
    # the independent reference: newest first, keep while the running total fits
    kept, total = [], 0
    for i in sorted(sizes, reverse=True):
        if total + sizes[i] > 7000:
            break
        kept.append(i)
        total += sizes[i]
    names = [c.name for c in store.clips()]
    assert names == [f"c{i}.mp4" for i in sorted(kept)]
    assert store.bytes == total <= 7000
    assert store.stats.stored == 5 and store.stats.evicted == 5 - len(kept)
    for i in kept:
        clip = tmp_path / "clips" / f"c{i}.mp4"
        assert json.loads(metadata_path(clip).read_text()) == {"n": i}
    metas = list((tmp_path / "clips").glob("*.json"))
    assert all(p.with_suffix(".mp4").exists() for p in metas), "no metadata outlives its clip"


def test_local_store_removes_clips_older_than_max_days(tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    folder = tmp_path / "clips"
    _fake_clip(folder, "old.mp4", 100, now[0] - 8 * DAY_S)
    _fake_clip(folder, "young.mp4", 100, now[0] - 6 * DAY_S)
    store = LocalClipStore(
        LocalStoreConfig(dir=folder, max_bytes=10**9, max_days=7), clock=lambda: now[0]
    )
    assert [c.name for c in store.clips()] == ["young.mp4"]  # retention runs at start
    assert store.stats.expired == 1
    now[0] += 2 * DAY_S  # young is 8 days old now
    store.put(_fake_clip(tmp_path / "in", "new.mp4", 100, now[0]), {})
    assert [c.name for c in store.clips()] == ["new.mp4"]
    assert store.stats.expired == 2 and store.stats.removed == 2


def test_store_deletes_half_written_clips_of_a_previous_run(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    store = LocalClipStore(LocalStoreConfig(dir=folder))
    half = store.work_dir / "cam-1_20261125T080000.000Z.partial.mp4"
    half.write_bytes(b"half a clip")
    (folder / "orphan.json").write_text("{}")  # a crash between the metadata and the clip
    again = LocalClipStore(LocalStoreConfig(dir=folder))
    assert not half.exists() and not (folder / "orphan.json").exists()
    assert again.clips() == []


# --- ClipRecorder: rotation and metadata ---------------------------------------------------------


def test_recorder_rotates_clips_by_capture_time(tmp_path: Path) -> None:
    step_ms, clip_s, n = 200, 2, 25  # 5 s of capture time at 5 fps: 2 s + 2 s + 1 s
    store = LocalClipStore(LocalStoreConfig(dir=tmp_path / "clips"))
    rng = np.random.default_rng(7)
    recorder = ClipRecorder(
        store,
        PrivacyFilter(PrivacyConfig(blur_faces=False), None),
        camera_id="cam-7",
        site_id="site-3",
        clip_seconds=clip_s,
        fps=5,
    )
    times = [START + timedelta(milliseconds=step_ms * i) for i in range(n)]
    with recorder:
        for i, t in enumerate(times):
            image = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
            recorder.write(Frame(image, i, t))
    # reference: clips start at the first frame and span clip_s seconds each
    per_clip = Counter((step_ms * i) // (clip_s * 1000) for i in range(n))
    clips = store.clips()
    assert len(clips) == len(per_clip) == 3
    assert recorder.stats.clips == 3 and recorder.stats.frames == n
    first = 0
    for clip, k in zip(clips, sorted(per_clip), strict=True):
        count = per_clip[k]
        meta = json.loads(metadata_path(clip).read_text())
        cap = cv2.VideoCapture(str(clip))
        assert cap.isOpened()
        assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == count
        cap.release()
        assert len(_read_frames(clip)) == count
        assert meta["frames"] == count
        assert meta["start"] == times[first].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        assert meta["end"] == times[first + count - 1].isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )
        assert parse_ts(meta["start"]).tzinfo is not None
        assert meta["frame_offsets_ms"] == [step_ms * j for j in range(count)]
        assert (meta["camera_id"], meta["site_id"], meta["fps"]) == ("cam-7", "site-3", 5.0)
        assert (meta["width"], meta["height"]) == (64, 48)
        assert meta["faces_blurred"] is False
        assert clip.name == f"cam-7_{meta['start'].replace('-', '').replace(':', '')}.mp4"
        first += count
    assert list(store.work_dir.iterdir()) == [], "no unfinished clip is left behind"


def test_blur_faces_false_warns_at_start(tmp_path: Path, caplog) -> None:
    config = _config(tmp_path, {"blur_faces": False})
    with caplog.at_level(logging.WARNING, logger="edge_producer.capture"):
        recorder = build_capture(config)
    assert recorder is not None
    recorder.close()
    assert any("blur_faces is false" in r.getMessage() for r in caplog.records)


# --- privacy on real faces ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def walking(media) -> list[Frame]:
    """Every third frame of the walking clip (two faces towards the camera)."""
    cap = cv2.VideoCapture(str(FACES_WALKING))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames, i = [], 0
    while i < 36:
        ok, image = cap.read()
        if not ok:
            break
        if i % 3 == 0:
            frames.append(Frame(image, i, START + timedelta(seconds=i / fps)))
        i += 1
    cap.release()
    return frames


@pytest.fixture(scope="module")
def count_faces(media):
    """Faces the edge's face detector finds at its DEFAULT threshold, per image."""
    detector = face_detector(EdgeConfig.model_validate({"source": {"uri": str(FACES_WALKING)}}))
    return lambda images: [len(detector.detect(image)) for image in images]


def _record(config: EdgeConfig, frames: list[Frame]) -> tuple[list[np.ndarray], dict]:
    """Run the people pipeline and the recorder over the frames; the stored frames and the
    metadata of the one clip."""
    pipeline = build_pipeline(config.model_copy(update={"pipeline": "people"}))
    recorder = build_capture(config)
    assert recorder is not None
    with recorder:
        for frame in frames:
            recorder.write(frame, pipeline.process(frame))
    (clip,) = LocalClipStore(config.capture.local).clips()
    stored = _read_frames(clip)
    assert len(stored) == len(frames)
    return stored, json.loads(metadata_path(clip).read_text())


def test_control_unblurred_clip_shows_faces(tmp_path, walking, count_faces) -> None:
    """The control: without the filter, the original and the stored frames show faces."""
    original = count_faces([f.image for f in walking])
    stored, meta = _record(_config(tmp_path, {"blur_faces": False}), walking)
    after = count_faces(stored)
    print(f"faces, original {sum(original)}, stored unblurred {sum(after)}")
    assert sum(original) >= len(walking)  # two people face the camera throughout
    assert sum(after) >= len(walking) // 2, "the video codec alone must not hide the faces"
    assert meta["faces_blurred"] is False


@pytest.mark.parametrize("mode", ["faces", "people"])
def test_stored_clip_shows_no_face(tmp_path, walking, count_faces, mode: str) -> None:
    original = count_faces([f.image for f in walking])
    stored, meta = _record(_config(tmp_path, {"mode": mode}), walking)
    after = count_faces(stored)
    print(f"{mode}: faces in the original frames {sum(original)}, in the stored frames {after}")
    assert sum(original) > 0
    assert sum(after) == 0
    assert meta["privacy_mode"] == mode and meta["faces_blurred"] is True
    assert meta["privacy_face_model"]["name"] == "yunet"
    assert {m["name"] for m in meta["models"]} == {"yolox_nano"}  # from the events
    assert meta["frames"] == len(walking)


def test_edge_run_records_blurred_clips_and_events_stay_metadata(tmp_path, count_faces) -> None:
    """`edge run` with capture on: the clip holds the processed frames, blurred; the events
    beside it validate against the wire schemas (which admit no unknown key, so no pixels)."""
    events = tmp_path / "events.jsonl"
    config = _config(tmp_path, output_file=str(events), pipeline="all")
    config = config.model_copy(
        update={"source": config.source.model_copy(update={"max_frames": 12})}
    )
    report = run(config)
    (clip,) = LocalClipStore(config.capture.local).clips()
    stored = _read_frames(clip)
    assert len(stored) == report.frames == 12
    assert sum(count_faces(stored)) == 0
    lines = events.read_text().splitlines()
    assert len(lines) == report.person_events + report.gender_events > 12
    for line in lines:
        event = json.loads(line)
        validate = (
            validate_person_detections if "detections" in event else validate_gender_classification
        )
        validate(event)
        assert len(line) < 2000  # a frame of people, never an image
    meta = json.loads(metadata_path(clip).read_text())
    default = "gender_v3_int8" if on_cpu(RuntimeConfig()) else "gender_v3"
    assert {m["name"] for m in meta["models"]} == {"yolox_nano", default}
