"""Pydantic v2 models of the Ivica wire events, mirroring ``contracts/schemas/*.v1.json``.

Privacy rule: every model forbids unknown keys (``extra="forbid"``, the counterpart of the
JSON Schemas' ``additionalProperties: false``). An event therefore cannot carry image bytes,
face crops, pixels or embeddings, whatever the key is called; keys whose names look like
such payloads (``image``, ``jpeg``, ``crop``, ``embedding``...) are rejected with an
explicit privacy error rather than the generic "extra inputs" one.

Types are strict: numbers are not parsed from strings, booleans are not integers, and
``captured_at`` must be the exact wire form ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (it becomes an aware
UTC ``datetime`` in Python and is written back byte-identically).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    field_serializer,
    model_serializer,
    model_validator,
)

from contracts import topics
from contracts.timefmt import UTC, format_ts, parse_ts

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_PRIVACY_KEY_RE = re.compile(
    r"image|img|jpe?g|png|bitmap|pixel|crop|thumb|embedding|feature_vector|face_chip"
    r"|frame_bytes|base64|b64|blob",
    re.IGNORECASE,
)


def _to_utc_millis(value: Any) -> datetime:
    """Validate ``captured_at``: wire string -> aware UTC datetime (ms precision)."""
    if isinstance(value, str):
        return parse_ts(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: captured_at must be timezone-aware (UTC)")
        utc = value.astimezone(UTC)
        return utc.replace(microsecond=utc.microsecond // 1000 * 1000)
    raise ValueError(
        f"captured_at must be a string 'YYYY-MM-DDTHH:MM:SS.mmmZ', got {type(value).__name__}"
    )


Id = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=128)]
NonNegInt64 = Annotated[int, Field(strict=True, ge=0, le=INT64_MAX)]
Int64 = Annotated[int, Field(strict=True, ge=INT64_MIN, le=INT64_MAX)]
TrackId = Int64 | None
UnitFloat = Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)]
Coord = Annotated[float, Field(strict=True, allow_inf_nan=False)]
CapturedAt = Annotated[datetime, BeforeValidator(_to_utc_millis)]
Gender = Literal["male", "female"]
EventId = Annotated[
    str,
    StringConstraints(
        strict=True,
        pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
    ),
]


class _WireModel(BaseModel):
    """Base of all wire models: unknown keys rejected, image-like keys named as such."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _reject_image_payloads(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            known = {f.alias or name for name, f in cls.model_fields.items()}
            for key in data:
                if isinstance(key, str) and key not in known and _PRIVACY_KEY_RE.search(key):
                    raise ValueError(
                        f"key {key!r} is not allowed: events must not carry image bytes, "
                        "crops, pixels or embeddings (privacy rule)"
                    )
        return data


class ModelInfo(_WireModel):
    """Name and version of the model that produced an event."""

    name: Id = Field(description="Model name, e.g. 'yolov8n'.")
    version: Id = Field(description="Model version, e.g. '8.1.0' or a registry version.")


class Detection(_WireModel):
    """One detected person: tracker id, bounding box and detector score (no pixels)."""

    track_id: TrackId = Field(
        description="Tracker identity of the person within this camera's stream, "
        "or null when the person is not tracked."
    )
    bbox: tuple[Coord, Coord, Coord, Coord] = Field(
        description="Bounding box [x1, y1, x2, y2] (top-left, bottom-right corners) in the "
        "frame's pixel coordinates; x2 >= x1 and y2 >= y1."
    )
    score: UnitFloat = Field(description="Detector confidence that this is a person, 0..1.")
    zones: Annotated[list[Id], Field(max_length=64)] | None = Field(
        default=None,
        description="Optional: the ids of the configured zones (geometry) the person's anchor "
        "point is in, each once; absent when the camera has no zones.",
    )

    @model_validator(mode="before")
    @classmethod
    def _zones_absent_not_null(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "zones" in data and data["zones"] is None:
            raise ValueError("zones is absent when the camera has no zones, never null")
        return data

    @model_serializer(mode="wrap")
    def _omit_absent_zones(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        if self.zones is None:
            data.pop("zones", None)
        return data

    @model_validator(mode="after")
    def _check_bbox_order(self) -> Detection:
        x1, y1, x2, y2 = self.bbox
        if x2 < x1 or y2 < y1:
            raise ValueError(f"bbox {list(self.bbox)} must satisfy x2 >= x1 and y2 >= y1")
        if self.zones is not None and len(set(self.zones)) != len(self.zones):
            raise ValueError(f"zones {self.zones} name a zone twice")
        return self


# typing.Self is 3.11+; the contract also runs on the edge's Python 3.10 (JetPack 6).
_E = TypeVar("_E", bound="_Event")


class _Event(_WireModel):
    """Common serialization of the top-level events."""

    SCHEMA: ClassVar[str]
    TOPIC: ClassVar[str]

    @field_serializer("captured_at", when_used="json", check_fields=False)
    def _ser_captured_at(self, value: datetime) -> str:
        return format_ts(value)

    def _none_optionals(self) -> set[str]:
        return {
            name
            for name, field in type(self).model_fields.items()
            if not field.is_required() and getattr(self, name) is None
        }

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (wire key names, no None-valued optional keys)."""
        return self.model_dump(mode="json", by_alias=True, exclude=self._none_optionals())

    def to_json(self) -> str:
        """The event as compact UTF-8 JSON text, exactly as published on Kafka."""
        return self.model_dump_json(by_alias=True, exclude=self._none_optionals())

    @classmethod
    def from_json(cls: type[_E], data: str | bytes) -> _E:
        """Parse and validate one event from JSON text (raises pydantic.ValidationError)."""
        return cls.model_validate_json(data)


class PersonDetections(_Event):
    """``person_detections/v1``: the people detected in one processed frame."""

    SCHEMA: ClassVar[str] = "person_detections/v1"
    TOPIC: ClassVar[str] = topics.PERSON_DETECTIONS

    site_id: Id = Field(description="Identifier of the site the camera belongs to.")
    camera_id: Id = Field(description="Identifier of the camera; the Kafka message key.")
    frame_id: NonNegInt64 = Field(description="Frame sequence number from the edge process.")
    captured_at: CapturedAt = Field(
        description="Capture time of the frame at the camera (never the processing time), "
        "UTC, wire form YYYY-MM-DDTHH:MM:SS.mmmZ."
    )
    people_count: NonNegInt64 = Field(description="Number of people counted in the frame.")
    detections: list[Detection] = Field(description="Person detections in the frame.")
    event_id: EventId | None = Field(
        default=None,
        description="Optional: a random UUID (v4) per event; consumers drop repeats by it "
        "(delivery is at least once).",
    )
    model: ModelInfo | None = Field(default=None, description="Optional: the detection model.")
    schema_: Literal["person_detections/v1"] | None = Field(
        default=None,
        alias="schema",
        description="Optional schema/version tag; when present 'person_detections/v1'.",
    )


class GenderClassification(_Event):
    """``gender_classifications/v1``: the predicted gender of one classified face."""

    SCHEMA: ClassVar[str] = "gender_classifications/v1"
    TOPIC: ClassVar[str] = topics.GENDER_CLASSIFICATIONS

    site_id: Id = Field(description="Identifier of the site the camera belongs to.")
    camera_id: Id = Field(description="Identifier of the camera; the Kafka message key.")
    captured_at: CapturedAt = Field(
        description="Capture time at the camera of the frame the face was seen in (never the "
        "processing time), UTC, wire form YYYY-MM-DDTHH:MM:SS.mmmZ."
    )
    track_id: TrackId = Field(
        description="Tracker identity of the person the face belongs to, or null (key required)."
    )
    gender: Gender = Field(description="Predicted gender class: 'male' or 'female'.")
    confidence: UnitFloat = Field(description="Classifier confidence in the prediction, 0..1.")
    event_id: EventId | None = Field(
        default=None,
        description="Optional: a random UUID (v4) per event; consumers drop repeats by it "
        "(delivery is at least once).",
    )
    model: ModelInfo | None = Field(default=None, description="Optional: the classification model.")
    schema_: Literal["gender_classifications/v1"] | None = Field(
        default=None,
        alias="schema",
        description="Optional schema/version tag; when present 'gender_classifications/v1'.",
    )


class LineCrossing(_Event):
    """``line_crossings/v1``: one confirmed track crossing a configured line (footfall)."""

    SCHEMA: ClassVar[str] = "line_crossings/v1"
    TOPIC: ClassVar[str] = topics.LINE_CROSSINGS

    site_id: Id = Field(description="Identifier of the site the camera belongs to.")
    camera_id: Id = Field(description="Identifier of the camera; the Kafka message key.")
    track_id: Int64 = Field(description="Tracker identity of the person (a confirmed track).")
    line_id: Id = Field(description="Id of the line in the camera's geometry.")
    direction: Literal["in", "out"] = Field(
        description="'in' when the crossing ends on the line's in_side, else 'out'."
    )
    frame_id: NonNegInt64 = Field(description="Frame sequence number of the first frame on the "
                                  "new side.")  # fmt: skip
    captured_at: CapturedAt = Field(
        description="Capture time of the first frame on the new side, UTC, wire form "
        "YYYY-MM-DDTHH:MM:SS.mmmZ."
    )
    geometry_version: Id = Field(description="The version of the geometry the line is from.")
    event_id: EventId = Field(description="A random UUID (v4) per event; consumers drop "
                              "repeats by it.")  # fmt: skip
    gender: Gender | None = Field(
        default=None, description="Optional: the track's majority gender at the crossing."
    )
    schema_: Literal["line_crossings/v1"] = Field(
        alias="schema", description="Schema/version tag: 'line_crossings/v1'."
    )


class ZoneVisit(_Event):
    """``zone_visits/v1``: one finished visit of a confirmed track to a configured zone."""

    SCHEMA: ClassVar[str] = "zone_visits/v1"
    TOPIC: ClassVar[str] = topics.ZONE_VISITS

    site_id: Id = Field(description="Identifier of the site the camera belongs to.")
    camera_id: Id = Field(description="Identifier of the camera; the Kafka message key.")
    track_id: Int64 = Field(description="Tracker identity of the person (a confirmed track).")
    zone_id: Id = Field(description="Id of the zone in the camera's geometry.")
    entered_at: CapturedAt = Field(
        description="Capture time of the visit's first frame in the zone, UTC."
    )
    exited_at: CapturedAt = Field(
        description="Capture time of the visit's last frame in the zone, UTC; not before "
        "entered_at. The event time of dwell results."
    )
    dwell_s: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)] = Field(
        description="exited_at - entered_at in seconds (millisecond precision)."
    )
    end_reason: Literal["left", "lost", "stream_end", "shutdown"] = Field(
        description="Why the visit ended: left (outside for the exit grace), lost (the tracker "
        "dropped the track), stream_end (a file source ended), shutdown (a clean stop)."
    )
    geometry_version: Id = Field(description="The version of the geometry the zone is from.")
    event_id: EventId = Field(description="A random UUID (v4) per event; consumers drop "
                              "repeats by it.")  # fmt: skip
    schema_: Literal["zone_visits/v1"] = Field(
        alias="schema", description="Schema/version tag: 'zone_visits/v1'."
    )

    @field_serializer("entered_at", "exited_at", when_used="json")
    def _ser_visit_times(self, value: datetime) -> str:
        return format_ts(value)

    @model_validator(mode="after")
    def _check_dwell(self) -> ZoneVisit:
        span = (self.exited_at - self.entered_at).total_seconds()
        if span < 0:
            raise ValueError("exited_at is before entered_at")
        if abs(self.dwell_s - span) > 0.0015:
            raise ValueError(f"dwell_s {self.dwell_s} is not exited_at - entered_at ({span:.3f})")
        return self


Event = PersonDetections | GenderClassification | LineCrossing | ZoneVisit
"""Any top-level wire event."""
