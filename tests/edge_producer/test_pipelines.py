"""The three pipelines on real media with the bundled models: counts, faces, tracks, contract."""

from __future__ import annotations

from datetime import datetime, timedelta

import cv2
import numpy as np
import pytest

from contracts import validate_event
from contracts.events import GenderClassification, PersonDetections
from contracts.timefmt import UTC
from edge_producer.app import run
from edge_producer.build import build_pipeline, face_detector
from edge_producer.config import EdgeConfig
from edge_producer.detections import UNTRACKED, Detections
from edge_producer.frames import Frame
from edge_producer.pipelines import ClassifySchedule, attach_faces
from edge_producer.senders import MemorySender
from tests.edge_producer.conftest import FACE_STILL, FACES_WALKING, STILL_COUNTS, STILLS

START = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def _config(pipeline: str, top: dict | None = None, **source: object) -> EdgeConfig:
    source = {"uri": str(FACES_WALKING), "start_time": START, **source}
    return EdgeConfig.model_validate({"pipeline": pipeline, "source": source, **(top or {})})


@pytest.fixture(scope="module")
def walking_all(media) -> list:
    """AllPipeline over the whole walking clip (35 frames, 2 people facing the camera)."""
    sender = MemorySender()
    report = run(_config("all"), [sender])
    assert report.frames == 35
    return sender.events


@pytest.mark.parametrize("name", sorted(STILL_COUNTS))
def test_people_count_on_stills(media, name: str) -> None:
    pipeline = build_pipeline(_config("people"))
    frame = Frame(cv2.imread(str(STILLS / name)), 0, START)
    (event,) = pipeline.process(frame)
    assert isinstance(event, PersonDetections)
    print(f"{name}: {event.people_count} people (truth {STILL_COUNTS[name]})")
    assert abs(event.people_count - STILL_COUNTS[name]) <= 1
    assert event.people_count == len(event.detections)


@pytest.mark.parametrize("model", ["yunet", "mtcnn"])
def test_faces_found_on_face_still(media, model: str) -> None:
    detector = face_detector(_config("all", {"faces": {"model": model}}))
    faces = detector.detect(cv2.imread(str(FACE_STILL)))
    assert len(faces) == 3
    assert faces.landmarks.shape == (3, 5, 2)


def test_all_pipeline_with_mtcnn_classifies_faces(media) -> None:
    sender = MemorySender()
    run(_config("all", {"faces": {"model": "mtcnn"}}, max_frames=24), [sender])
    genders = [e for e in sender.events if isinstance(e, GenderClassification)]
    assert genders and all(g.model.name == "gender_v3" for g in genders)


def test_all_pipeline_events_follow_the_contract(walking_all) -> None:
    people = [e for e in walking_all if isinstance(e, PersonDetections)]
    genders = [e for e in walking_all if isinstance(e, GenderClassification)]
    assert [e.frame_id for e in people] == list(range(35))
    # capture time = start + the file's own timestamps (12 fps), never processing time
    assert [e.captured_at for e in people] == [
        START + timedelta(milliseconds=int(i * 1000 / 12)) for i in range(35)
    ]
    assert genders, "no face was classified on a clip with two faces walking to the camera"
    for event in walking_all:
        line = event.to_json()
        validate_event(event.SCHEMA, line)  # the language-neutral JSON Schema, not pydantic
        assert len(line) < 2048, "an event must stay small: no pixels ever"


def test_gender_attaches_to_person_tracks(walking_all) -> None:
    tracks_at: dict[datetime, set[int]] = {}
    for e in walking_all:
        if isinstance(e, PersonDetections):
            tracks_at[e.captured_at] = {d.track_id for d in e.detections if d.track_id is not None}
    genders = [e for e in walking_all if isinstance(e, GenderClassification)]
    for g in genders:
        assert g.track_id is not None and g.track_id in tracks_at[g.captured_at]
    # classify_interval_s = 1: at most one result per track per second of capture time
    seen: dict[int, datetime] = {}
    for g in genders:
        if g.track_id in seen:
            assert g.captured_at - seen[g.track_id] >= timedelta(seconds=1)
        seen[g.track_id] = g.captured_at


def test_gender_pipeline_alone(media) -> None:
    sender = MemorySender()
    report = run(_config("gender", max_frames=24), [sender])
    assert report.frames == 24
    assert sender.events and all(isinstance(e, GenderClassification) for e in sender.events)
    assert set(report.timer.seconds) >= {"detect_faces", "track", "classify_gender"}


def test_people_count_modes(media) -> None:
    def counts(mode: str) -> list[tuple[int, int, int]]:
        cfg = _config("people", {"events": {"people_count": mode}}, max_frames=12)
        sender = MemorySender()
        run(cfg, [sender])
        return [
            (
                e.people_count,
                len(e.detections),
                sum(d.track_id is not None for d in e.detections),
            )
            for e in sender.events
        ]

    for count, n, _ in counts("detections"):
        assert count == n
    confirmed = counts("confirmed_tracks")
    assert all(count == tracked for count, _, tracked in confirmed)
    # min_hits = 3: nobody is confirmed in the first two frames, people are later
    assert confirmed[0][0] == 0 and confirmed[1][0] == 0 and confirmed[-1][0] > 0


def test_classify_schedule() -> None:
    schedule = ClassifySchedule(1.0)
    ids = np.array([7, UNTRACKED])
    assert schedule.due(ids, START).tolist() == [True, True]
    schedule.done(ids, START)
    assert schedule.due(ids, START + timedelta(seconds=0.5)).tolist() == [False, True]
    assert schedule.due(ids, START + timedelta(seconds=1)).tolist() == [True, True]


def test_attach_faces_to_smallest_containing_person() -> None:
    people = Detections(
        np.array([[0, 0, 100, 200], [40, 10, 90, 150], [300, 0, 400, 200]]), np.ones(3)
    )
    faces = Detections(
        np.array([[50, 20, 70, 40], [310, 10, 330, 30], [200, 10, 220, 30]]), np.ones(3)
    )
    assert attach_faces(faces, people).tolist() == [1, 2, -1]


def test_a_looped_clip_ends_its_tracks_at_each_restart(media) -> None:
    """Three passes of the walking clip at 3 fps: no track id lives in two passes (the people
    jump back to the far end at each restart), and each pass tracks its two people again."""
    fps, frames = 12.0, 35  # the clip (ffprobe): 35 frames at 12 fps, 2 people
    sender = MemorySender()
    run(_config("people", loop=True, target_fps=3, max_frames=27), [sender])
    pass_of = {}  # track id -> the passes it appears in
    for e in sender.events:
        p = int((e.captured_at - START).total_seconds() * fps + 1e-6) // frames
        for d in e.detections:
            if d.track_id is not None:
                pass_of.setdefault(d.track_id, set()).add(p)
    assert {p for passes in pass_of.values() for p in passes} == {0, 1, 2}
    assert all(len(passes) == 1 for passes in pass_of.values()), pass_of
    per_pass = [sum(passes == {p} for passes in pass_of.values()) for p in range(3)]
    assert all(n >= 2 for n in per_pass), per_pass
