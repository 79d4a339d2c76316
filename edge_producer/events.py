"""Builds contract events from tracked detections; the only place events are made."""

from __future__ import annotations

import uuid
from datetime import datetime

from contracts.events import (
    Detection,
    GenderClassification,
    LineCrossing,
    ModelInfo,
    PersonDetections,
    ZoneVisit,
)
from edge_producer.detections import UNTRACKED, Detections
from edge_producer.frames import Frame
from edge_producer.gender import Gender, GenderResult
from edge_producer.geometry import Crossing, Visit
from edge_producer.models import ModelRef


def _info(model: ModelRef | None) -> ModelInfo | None:
    return None if model is None else ModelInfo(name=model.name, version=model.version)


def _unit(value: float) -> float:
    return round(min(max(float(value), 0.0), 1.0), 4)


def _millis(value: datetime) -> datetime:
    """The time as the wire carries it: truncated to the millisecond."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class EventBuilder:
    """Makes the contract events of one camera: ``person_detections/v1``,
    ``gender_classifications/v1``, ``line_crossings/v1`` and ``zone_visits/v1``.

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

    def person(
        self, frame: Frame, people: Detections, zones: list[list[str]] | None = None
    ) -> PersonDetections:
        """One frame's people; ``people_count`` per the configured counting rule; ``zones``:
        per detection the zones it is in (None: the camera has no zones)."""
        tracked = people.track_id != UNTRACKED
        count = int(tracked.sum()) if self.count_confirmed_only else len(people)
        in_zones = zones if zones is not None else [None] * len(people)
        detections = [
            Detection(
                track_id=None if tid == UNTRACKED else int(tid),
                bbox=tuple(round(float(v), 1) for v in box),
                score=_unit(score),
                **({} if zone_ids is None else {"zones": zone_ids}),
            )
            for box, score, tid, zone_ids in zip(
                people.xyxy, people.score, people.track_id, in_zones, strict=True
            )
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

    def crossing(
        self, crossing: Crossing, geometry_version: str, gender: Gender | None = None
    ) -> LineCrossing:
        """A track crossing a line; ``gender``: the track's majority gender, if known."""
        return LineCrossing(
            site_id=self.site_id,
            camera_id=self.camera_id,
            track_id=crossing.track_id,
            line_id=crossing.line_id,
            direction=crossing.direction,
            frame_id=crossing.frame_id,
            captured_at=crossing.captured_at,
            geometry_version=geometry_version,
            event_id=str(uuid.uuid4()),
            gender=gender,
            schema=LineCrossing.SCHEMA,
        )

    def visit(self, visit: Visit, geometry_version: str) -> ZoneVisit:
        """A finished zone visit; ``dwell_s`` from the millisecond times the wire carries."""
        entered, exited = _millis(visit.entered_at), _millis(visit.exited_at)
        return ZoneVisit(
            site_id=self.site_id,
            camera_id=self.camera_id,
            track_id=visit.track_id,
            zone_id=visit.zone_id,
            entered_at=entered,
            exited_at=exited,
            dwell_s=round((exited - entered).total_seconds(), 3),
            end_reason=visit.end_reason,
            geometry_version=geometry_version,
            event_id=str(uuid.uuid4()),
            schema=ZoneVisit.SCHEMA,
        )
