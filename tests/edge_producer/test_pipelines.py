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
from edge_producer.config import EdgeConfig, RuntimeConfig
from edge_producer.detections import UNTRACKED, Detections
from edge_producer.frames import Frame
from edge_producer.gender import GenderResult
from edge_producer.pipelines import ClassifySchedule, attach_faces
from edge_producer.runtime import on_cpu
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
    default = "gender_v3_int8" if on_cpu(RuntimeConfig()) else "gender_v3"
    assert genders and all(g.model.name == default for g in genders)


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
        cfg = _config(
            "people",
            {"events": {"people_count": mode}, "tracker": {"confirm_score": None}},
            max_frames=12,
        )
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
    # min_hits = 3 (confirm_score off): nobody is confirmed in the first two frames, people are
    # later
    assert confirmed[0][0] == 0 and confirmed[1][0] == 0 and confirmed[-1][0] > 0


def test_classify_schedule() -> None:
    schedule = ClassifySchedule(1.0)
    ids = np.array([7, UNTRACKED])
    assert schedule.due(ids, START).tolist() == [True, True]
    schedule.done(ids, START)
    assert schedule.due(ids, START + timedelta(seconds=0.5)).tolist() == [False, True]
    assert schedule.due(ids, START + timedelta(seconds=1)).tolist() == [True, True]


def test_classify_schedule_settles_a_track() -> None:
    schedule = ClassifySchedule(1.0, settle_votes=2, settle_confidence=0.8)
    ids = np.array([7])
    answers = [("male", 0.9), ("male", 0.6), ("female", 0.95), ("male", 0.85), ("male", 0.99)]
    for i, (gender, confidence) in enumerate(answers):
        assert schedule.settled(ids) == [None]
        schedule.done(ids, START + timedelta(seconds=i), [GenderResult(gender, confidence)])
    # 0.6 does not count; the female answer cancels one male: male leads 3 - 1 = 2 at the end
    assert schedule.settled(ids) == [GenderResult("male", (0.9 + 0.85 + 0.99) / 3)]
    # a settled track stays settled while it is due, and is forgotten with the track
    schedule.done(ids, START + timedelta(seconds=30))
    assert schedule.settled(ids) != [None]
    schedule.done(np.array([8]), START + timedelta(minutes=5))
    assert schedule.settled(ids) == [None]


def test_a_settled_track_is_not_classified_again(media) -> None:
    """The walking clip, classified every 3rd frame: with settling, each track's first answers
    are the model's, then its settled answer stands in; the model sees fewer faces."""

    def run_all(settle_votes: int) -> tuple[list[GenderClassification], int]:
        pipeline = build_pipeline(
            _config(
                "all",
                {
                    "gender": {
                        "classify_interval_s": 0.25,
                        "settle_votes": settle_votes,
                        "settle_confidence": 0.6,
                    }
                },
            )
        )
        classify, asked = pipeline.gender.classifier.classify, [0]

        def counting(image: np.ndarray, faces: Detections) -> list[GenderResult]:
            asked[0] += len(faces)
            return classify(image, faces)

        pipeline.gender.classifier.classify = counting
        capture = cv2.VideoCapture(str(FACES_WALKING))
        events, i = [], 0
        while (ok_image := capture.read())[0]:
            events += pipeline.process(Frame(ok_image[1], i, START + timedelta(seconds=i / 12)))
            i += 1
        return [e for e in events if isinstance(e, GenderClassification)], asked[0]

    always, asked_always = run_all(0)
    settling, asked_settling = run_all(3)
    settled_tracks = 0
    for track in {e.track_id for e in always}:
        model = [e for e in always if e.track_id == track]
        mine = [e for e in settling if e.track_id == track]
        # the rule by hand, on the model's answers: male minus female answers >= 0.6
        lead, settled_at = 0, None
        for n, e in enumerate(model):
            if e.confidence >= 0.6:
                lead += 1 if e.gender == "male" else -1
            if abs(lead) >= 3:
                settled_at = n + 1
                break
        if settled_at is None:
            assert [(e.gender, e.confidence) for e in mine] == [
                (e.gender, e.confidence) for e in model
            ]
            continue
        first = model[:settled_at]
        assert [(e.captured_at, e.gender) for e in mine[:settled_at]] == [
            (e.captured_at, e.gender) for e in first
        ]
        verdict = "male" if lead > 0 else "female"
        confident = [e.confidence for e in first if e.confidence >= 0.6 and e.gender == verdict]
        later = mine[settled_at:]  # none when the track settled at its last answer
        assert {e.gender for e in later} <= {verdict}
        # events round confidences to 4 places
        assert all(e.confidence == pytest.approx(np.mean(confident), abs=1e-4) for e in later)
        settled_tracks += bool(later)
    print(f"faces classified: {asked_always} always, {asked_settling} settling 3 votes")
    assert settled_tracks >= 1
    assert asked_settling < asked_always


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
