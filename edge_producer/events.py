"""Builds contract events from tracked detections; the only place events are made."""

from __future__ import annotations

import uuid

from contracts.events import (
    Detection,
    GenderClassification,
    ModelInfo,
    PersonDetections,
)
from edge_producer.detections import UNTRACKED, Detections
from edge_producer.frames import Frame
from edge_producer.gender import GenderResult
from edge_producer.models import ModelRef


def _info(model: ModelRef | None) -> ModelInfo | None:
    return None if model is None else ModelInfo(name=model.name, version=model.version)


def _unit(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), 4)


class EventBuilder:
    """Makes ``person_detections/v1`` and ``gender_classifications/v1`` events for one camera.

    Every event is a validated pydantic contract model (so it cannot carry image data), names
    the model that produced it, and has a fresh random ``event_id`` (consumers drop repeats of
    at-least-once delivery by it).
    """

    def __init__(
        self,
        site_id: str,
        camera_id: str,
        *,
        count_confirmed_only: bool = False,
        person_model: ModelRef | None = None,
        gender_model: ModelRef | None = None,
    ) -> None:
        self.site_id = site_id
        self.camera_id = camera_id
        self.count_confirmed_only = count_confirmed_only
        self._person_model = _info(person_model)
        self._gender_model = _info(gender_model)

    def person(self, frame: Frame, people: Detections) -> PersonDetections:
        """One frame's people; ``people_count`` per the configured counting rule."""
        tracked = people.track_id != UNTRACKED
        count = int(tracked.sum()) if self.count_confirmed_only else len(people)
        detections = [
            Detection(
                track_id=None if tid == UNTRACKED else int(tid),
                bbox=tuple(round(float(v), 1) for v in box),
                score=_unit(score),
            )
            for box, score, tid in zip(people.xyxy, people.score, people.track_id, strict=True)
        ]
        return PersonDetections(
            site_id=self.site_id,
            camera_id=self.camera_id,
            frame_id=frame.frame_id,
            captured_at=frame.captured_at,
            people_count=count,
            detections=detections,
            event_id=str(uuid.uuid4()),
            model=self._person_model,
            schema=PersonDetections.SCHEMA,
        )

    def gender(self, frame: Frame, track_id: int, result: GenderResult) -> GenderClassification:
        """One classified face, attached to ``track_id`` (UNTRACKED: null)."""
        return GenderClassification(
            site_id=self.site_id,
            camera_id=self.camera_id,
            captured_at=frame.captured_at,
            track_id=None if track_id == UNTRACKED else int(track_id),
            gender=result.gender,
            confidence=_unit(result.confidence),
            event_id=str(uuid.uuid4()),
            model=self._gender_model,
            schema=GenderClassification.SCHEMA,
        )
