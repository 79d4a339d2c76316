"""Pipelines: compositions of detectors, tracker and event builder. They own no I/O.

- :class:`PeopleCounterPipeline`: people → tracker → ``person_detections`` events.
- :class:`GenderClassificationPipeline`: faces in the whole frame → tracker (face tracks) →
  gender classifier → ``gender_classifications`` events.
- :class:`AllPipeline`: people → tracker → faces in the person boxes → gender classifier →
  both event types; a gender result carries the track id of the person its face lies in.

A pipeline's :meth:`~Pipeline.process` takes one frame and returns its events; per-stage
timings go to :attr:`~Pipeline.timer`. With a camera geometry (lines and zones), the people
and all pipelines also emit ``line_crossings`` and ``zone_visits`` and give each detection its
zones; :meth:`~Pipeline.finish` ends the visits still open when the stream ends or the edge
stops.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from contracts.events import Event
from contracts.timefmt import UTC
from edge_producer.detections import UNTRACKED, Detections
from edge_producer.detectors.base import FaceDetector, PersonDetector
from edge_producer.events import EventBuilder
from edge_producer.frames import Frame
from edge_producer.gender import Gender, GenderClassifier, GenderResult
from edge_producer.geometry import Geometry
from edge_producer.geometry.zones import EndReason
from edge_producer.timing import StageTimer
from edge_producer.tracking.base import Tracker


class Pipeline(ABC):
    """Frame in, contract events out."""

    def __init__(self, events: EventBuilder) -> None:
        self.events = events
        self.timer = StageTimer()

    @abstractmethod
    def process(self, frame: Frame) -> list[Event]:
        """The events of one frame (validated contract models)."""

    @abstractmethod
    def reset(self) -> None:
        """Start a new stream: forget tracks (ids are never reused) and the classify schedule."""

    def finish(self, reason: EndReason) -> list[Event]:
        """The events that end with the stream (``stream_end``) or a clean stop
        (``shutdown``): the zone visits still open. Call :meth:`reset` after it."""
        return []


@dataclass
class _Votes:
    """A track's confident answers: how many for each gender and their summed confidence."""

    male: int = 0
    female: int = 0
    male_confidence: float = 0.0
    female_confidence: float = 0.0

    def add(self, result: GenderResult) -> None:
        if result.gender == "male":
            self.male += 1
            self.male_confidence += result.confidence
        else:
            self.female += 1
            self.female_confidence += result.confidence

    def verdict(self, lead: int) -> GenderResult | None:
        """The gender that leads the other by ``lead`` confident answers, with their mean
        confidence; None while neither does."""
        if self.male - self.female >= lead:
            return GenderResult("male", self.male_confidence / self.male)
        if self.female - self.male >= lead:
            return GenderResult("female", self.female_confidence / self.female)
        return None


class ClassifySchedule:
    """When a track is due for gender classification, and whether its gender is settled.

    A track is due at most once per ``interval`` of capture time. It is settled once one gender
    leads the other by ``settle_votes`` confident answers (confidence >= ``settle_confidence``;
    0 votes: never): then the model is not asked again, and each time the track is due its
    settled answer stands in, so the jobs still see the person in every window. Untracked
    faces are always due and never settle. Tracks not due for a long time are forgotten.
    """

    def __init__(
        self, interval_s: float, settle_votes: int = 0, settle_confidence: float = 0.6
    ) -> None:
        self.interval = timedelta(seconds=interval_s)
        self.settle_votes = settle_votes
        self.settle_confidence = settle_confidence
        self._last: dict[int, datetime] = {}
        self._votes: dict[int, _Votes] = {}
        self._settled: dict[int, GenderResult] = {}

    def due(self, track_ids: np.ndarray, now: datetime) -> np.ndarray:
        """Boolean mask over ``track_ids``: which are due at capture time ``now``."""
        never = datetime.min.replace(tzinfo=UTC)
        return np.array(
            [
                tid == UNTRACKED or now - self._last.get(int(tid), never) >= self.interval
                for tid in track_ids
            ],
            dtype=bool,
        )

    def majority(self, track_id: int) -> Gender | None:
        """The track's gender: its settled one, else the one with more confident answers so
        far; None on a tie or with no confident answer."""
        settled = self._settled.get(track_id)
        if settled is not None:
            return settled.gender
        votes = self._votes.get(track_id)
        if votes is None or votes.male == votes.female:
            return None
        return "male" if votes.male > votes.female else "female"

    def settled(self, track_ids: np.ndarray) -> list[GenderResult | None]:
        """Each track's settled answer, or None while the model must still be asked."""
        return [self._settled.get(int(tid)) for tid in track_ids]

    def clear(self) -> None:
        """Forget every track."""
        self._last.clear()
        self._votes.clear()
        self._settled.clear()

    def done(
        self,
        track_ids: np.ndarray,
        now: datetime,
        results: list[GenderResult] | None = None,
    ) -> None:
        """Mark these tracks as classified at ``now`` (with the model's ``results``, or by
        their settled answer) and forget stale ones."""
        for i, tid in enumerate(track_ids):
            if tid == UNTRACKED:
                continue
            tid = int(tid)
            self._last[tid] = now
            if results is not None and tid not in self._settled:
                self._vote(tid, results[i])
        horizon = now - max(self.interval * 10, timedelta(minutes=1))
        self._last = {tid: t for tid, t in self._last.items() if t >= horizon}
        self._votes = {tid: v for tid, v in self._votes.items() if tid in self._last}
        self._settled = {tid: r for tid, r in self._settled.items() if tid in self._last}

    def _vote(self, tid: int, result: GenderResult) -> None:
        if result.confidence < self.settle_confidence:
            return
        votes = self._votes.setdefault(tid, _Votes())
        votes.add(result)
        if not self.settle_votes:  # the votes only give the crossings their majority gender
            return
        verdict = votes.verdict(self.settle_votes)
        if verdict is not None:
            self._settled[tid] = verdict
            del self._votes[tid]


class PeopleCounterPipeline(Pipeline):
    """People and their tracks, one ``person_detections`` event per frame; with a geometry,
    the crossings of its lines and the visits to its zones too."""

    def __init__(
        self,
        people: PersonDetector,
        tracker: Tracker,
        events: EventBuilder,
        geometry: Geometry | None = None,
    ) -> None:
        super().__init__(events)
        self.people = people
        self.tracker = tracker
        self.geometry = geometry

    def reset(self) -> None:
        self.tracker.reset()

    def finish(self, reason: EndReason) -> list[Event]:
        if self.geometry is None:
            return []
        version = self.geometry.version
        return [self.events.visit(v, version) for v in self.geometry.finish(reason)]

    def track_people(self, frame: Frame) -> Detections:
        with self.timer.stage("detect_people"):
            found = self.people.detect(frame.image)
        with self.timer.stage("track"):
            return self.tracker.update(found)

    def gender_of(self, track_id: int) -> Gender | None:
        """The track's majority gender, where the pipeline classifies gender."""
        return None

    def people_events(self, frame: Frame, people: Detections) -> list[Event]:
        """The frame's ``person_detections`` event, then its crossings and ended visits."""
        if self.geometry is None:
            with self.timer.stage("events"):
                return [self.events.person(frame, people)]
        with self.timer.stage("geometry"):
            step = self.geometry.update(frame, people, self.tracker.active_ids)
        version = self.geometry.version
        with self.timer.stage("events"):
            return [
                self.events.person(frame, people, step.zones),
                *(
                    self.events.crossing(c, version, self.gender_of(c.track_id))
                    for c in step.crossings
                ),
                *(self.events.visit(v, version) for v in step.visits),
            ]

    def process(self, frame: Frame) -> list[Event]:
        return self.people_events(frame, self.track_people(frame))


class _GenderStage:
    """Classifies due faces in one batch and turns the answers into gender events; a settled
    track's answer needs no model call."""

    def __init__(
        self, classifier: GenderClassifier, schedule: ClassifySchedule, timer: StageTimer
    ) -> None:
        self.classifier = classifier
        self.schedule = schedule
        self.timer = timer

    def settled_events(
        self, frame: Frame, track_ids: np.ndarray, builder: EventBuilder
    ) -> tuple[list[Event], np.ndarray]:
        """The events of the due tracks whose gender is settled, and a mask over ``track_ids``
        of those the model must still classify."""
        answers = self.schedule.settled(track_ids)
        unsettled = np.array([a is None for a in answers], dtype=bool)
        settled_ids = track_ids[~unsettled]
        if not len(settled_ids):
            return [], unsettled
        self.schedule.done(settled_ids, frame.captured_at)
        with self.timer.stage("events"):
            events = [
                builder.gender(frame, int(tid), answer)
                for tid, answer in zip(track_ids, answers, strict=True)
                if answer is not None
            ]
        return events, unsettled

    def events(
        self, frame: Frame, faces: Detections, track_ids: np.ndarray, builder: EventBuilder
    ) -> list[Event]:
        if not len(faces):
            return []
        with self.timer.stage("classify_gender"):
            results = self.classifier.classify(frame.image, faces)
        self.schedule.done(track_ids, frame.captured_at, results)
        with self.timer.stage("events"):
            return [
                builder.gender(frame, int(tid), result)
                for tid, result in zip(track_ids, results, strict=True)
            ]


class GenderClassificationPipeline(Pipeline):
    """Faces in the whole frame, tracked as faces, classified at most once per interval."""

    def __init__(
        self,
        faces: FaceDetector,
        tracker: Tracker,
        classifier: GenderClassifier,
        events: EventBuilder,
        schedule: ClassifySchedule,
    ) -> None:
        super().__init__(events)
        self.faces = faces
        self.tracker = tracker
        self.gender = _GenderStage(classifier, schedule, self.timer)

    def reset(self) -> None:
        self.tracker.reset()
        self.gender.schedule.clear()

    def process(self, frame: Frame) -> list[Event]:
        with self.timer.stage("detect_faces"):
            found = self.faces.detect(frame.image)
        with self.timer.stage("track"):
            found = self.tracker.update(found)
        found = found[self.gender.schedule.due(found.track_id, frame.captured_at)]
        events, unsettled = self.gender.settled_events(frame, found.track_id, self.events)
        found = found[unsettled]
        return events + self.gender.events(frame, found, found.track_id, self.events)


def upper_region(box: np.ndarray, fraction: float, width: int, height: int) -> tuple[int, ...]:
    """The top ``fraction`` of a person box as integer pixel bounds (x1, y1, x2, y2)."""
    x1, y1, x2, y2 = box
    bottom = y1 + (y2 - y1) * fraction
    return (
        max(int(x1), 0),
        max(int(y1), 0),
        min(int(np.ceil(x2)), width),
        min(int(np.ceil(bottom)), height),
    )


def attach_faces(faces: Detections, people: Detections) -> np.ndarray:
    """For each face, the index of the smallest person box containing its centre, or -1."""
    owner = np.full(len(faces), -1, dtype=np.int64)
    if not len(faces) or not len(people):
        return owner
    centre = (faces.xyxy[:, :2] + faces.xyxy[:, 2:]) / 2
    inside = (
        (centre[:, None, 0] >= people.xyxy[None, :, 0])
        & (centre[:, None, 0] <= people.xyxy[None, :, 2])
        & (centre[:, None, 1] >= people.xyxy[None, :, 1])
        & (centre[:, None, 1] <= people.xyxy[None, :, 3])
    )
    area = np.where(inside, people.area[None, :], np.inf)
    best = np.argmin(area, axis=1)
    return np.where(inside.any(axis=1), best, -1)


class AllPipeline(PeopleCounterPipeline):
    """People, tracks and the gender of each confirmed track's face.

    Faces are searched only where they matter: in the upper part of the boxes of confirmed
    person tracks that are due for classification (``search='person_boxes'``), or in the whole
    frame and then attached to the person box they lie in (``search='frame'``). A face outside
    every confirmed track is not classified, so every gender event names a person track.
    """

    def __init__(
        self,
        people: PersonDetector,
        tracker: Tracker,
        faces: FaceDetector,
        classifier: GenderClassifier,
        events: EventBuilder,
        *,
        schedule: ClassifySchedule,
        search: str = "person_boxes",
        upper_fraction: float = 0.5,
        geometry: Geometry | None = None,
    ) -> None:
        super().__init__(people, tracker, events, geometry)
        self.faces = faces
        self.gender = _GenderStage(classifier, schedule, self.timer)
        self.search = search
        self.upper_fraction = upper_fraction

    def reset(self) -> None:
        super().reset()
        self.gender.schedule.clear()

    def gender_of(self, track_id: int) -> Gender | None:
        return self.gender.schedule.majority(track_id)

    def process(self, frame: Frame) -> list[Event]:
        people = self.track_people(frame)
        events = self.people_events(frame, people)
        tracked = people[people.track_id != UNTRACKED]
        due = tracked[self.gender.schedule.due(tracked.track_id, frame.captured_at)]
        settled, unsettled = self.gender.settled_events(frame, due.track_id, self.events)
        events += settled
        due = due[unsettled]
        if not len(due):
            return events
        with self.timer.stage("detect_faces"):
            faces, track_ids = (
                self._faces_in_boxes(frame, due)
                if self.search == "person_boxes"
                else self._faces_in_frame(frame, due)
            )
        return events + self.gender.events(frame, faces, track_ids, self.events)

    def _faces_in_boxes(self, frame: Frame, people: Detections) -> tuple[Detections, np.ndarray]:
        """The best face in the upper part of each person box, in frame coordinates."""
        picked: list[Detections] = []
        owners: list[int] = []
        for box, tid in zip(people.xyxy, people.track_id, strict=True):
            x1, y1, x2, y2 = upper_region(box, self.upper_fraction, frame.width, frame.height)
            if x2 - x1 < 8 or y2 - y1 < 8:
                continue
            found = self.faces.detect(frame.image[y1:y2, x1:x2])
            if not len(found):
                continue
            best = found[int(np.argmax(found.score))]
            offset = np.array([x1, y1], dtype=np.float32)
            picked.append(
                Detections(
                    best.xyxy + np.tile(offset, 2),
                    best.score,
                    landmarks=best.landmarks + offset,
                )
            )
            owners.append(int(tid))
        if not picked:
            return Detections.empty(), np.zeros(0, dtype=np.int64)
        return _concat(picked), np.asarray(owners, dtype=np.int64)

    def _faces_in_frame(self, frame: Frame, people: Detections) -> tuple[Detections, np.ndarray]:
        """Faces of the whole frame, each attached to the due person box it lies in."""
        faces = self.faces.detect(frame.image)
        owner = attach_faces(faces, people)
        by_score = np.argsort(-faces.score, kind="stable")
        by_score = by_score[owner[by_score] >= 0]
        _, first = np.unique(owner[by_score], return_index=True)
        best = by_score[first]  # the highest-scored face of each person
        return faces[best], people.track_id[owner[best]]


def _concat(parts: list[Detections]) -> Detections:
    return Detections(
        np.concatenate([p.xyxy for p in parts]),
        np.concatenate([p.score for p in parts]),
        landmarks=np.concatenate([p.landmarks for p in parts]),
    )
