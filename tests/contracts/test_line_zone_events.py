"""Tests of the line_crossings/v1 and zone_visits/v1 contract, and of detections' zones.

Each case is checked against both the JSON Schema file (what other languages validate with)
and the pydantic model (what Python producers and consumers use); they must agree, except for
the cross-field rules JSON Schema cannot state (dwell_s against the two times, unique zones
are stated in both).
"""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import jsonschema
import pydantic
import pytest

import contracts
from contracts import LineCrossing, PersonDetections, ZoneVisit, load_schema, validate_event
from contracts.timefmt import UTC

LC: dict[str, Any] = {
    "site_id": "site-berlin-01",
    "camera_id": "cam-entrance-2",
    "track_id": 41,
    "line_id": "door",
    "direction": "in",
    "frame_id": 18240,
    "captured_at": "2026-11-23T20:00:00.723Z",
    "geometry_version": "2026-12-04",
    "event_id": "5d0c1a4e-2f7b-4c59-8a31-9e6b2d7f0a12",
    "gender": "female",
    "schema": "line_crossings/v1",
}
ZV: dict[str, Any] = {
    "site_id": "site-berlin-01",
    "camera_id": "cam-entrance-2",
    "track_id": 41,
    "zone_id": "plaza",
    "entered_at": "2026-11-23T20:00:01.000Z",
    "exited_at": "2026-11-23T20:00:13.500Z",
    "dwell_s": 12.5,
    "end_reason": "left",
    "geometry_version": "2026-12-04",
    "event_id": "7a3e9c10-54d2-4b8f-b1e6-0c2d4f6a8e90",
    "schema": "zone_visits/v1",
}
KINDS = {"lc": (LineCrossing, "line_crossings.v1", LC), "zv": (ZoneVisit, "zone_visits.v1", ZV)}


def rejected_by_both(kind: str, obj: dict[str, Any]) -> None:
    model, schema, _ = KINDS[kind]
    with pytest.raises(jsonschema.ValidationError):
        validate_event(schema, obj)
    with pytest.raises(pydantic.ValidationError):
        model.model_validate(obj)


def changed(kind: str, **changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(KINDS[kind][2])
    for key, value in changes.items():
        if value is ...:
            del obj[key]
        else:
            obj[key] = value
    return obj


@pytest.mark.parametrize("kind", KINDS)
def test_examples_valid_and_round_trip(kind: str) -> None:
    model, schema, example = KINDS[kind]
    assert validate_event(schema, json.dumps(example)) == example
    event = model.model_validate(example)
    assert json.loads(event.to_json()) == example
    validate_event(schema, event.to_dict())
    assert model.from_json(event.to_json()) == event
    assert f"ivica.{schema.removesuffix('.v1')}.v1" == model.TOPIC
    assert model.TOPIC in contracts.RAW_TOPICS


@pytest.mark.parametrize("kind", KINDS)
def test_model_mirrors_schema_file(kind: str) -> None:
    model, schema, _ = KINDS[kind]
    file_schema = load_schema(schema)
    jsonschema.Draft202012Validator.check_schema(file_schema)
    model_schema = model.model_json_schema(by_alias=True)
    assert set(model_schema["properties"]) == set(file_schema["properties"])
    assert set(model_schema["required"]) == set(file_schema["required"])
    assert {"event_id", "schema", "track_id", "geometry_version"} <= set(file_schema["required"])
    for name, prop in file_schema["properties"].items():
        assert prop.get("description"), f"{schema}: {name} has no description"


@pytest.mark.parametrize("kind", KINDS)
def test_every_required_field_is_required(kind: str) -> None:
    for field in load_schema(KINDS[kind][1])["required"]:
        rejected_by_both(kind, changed(kind, **{field: ...}))


@pytest.mark.parametrize(
    ("kind", "changes"),
    [
        ("lc", {"direction": "inside"}),
        ("lc", {"track_id": None}),
        ("lc", {"frame_id": -1}),
        ("lc", {"gender": "unknown"}),
        ("lc", {"captured_at": "2026-11-23T20:00:00Z"}),
        ("lc", {"schema": "line_crossings/v2"}),
        ("lc", {"event_id": "not-a-uuid"}),
        ("lc", {"line_id": ""}),
        ("lc", {"crop": "AAAA"}),
        ("zv", {"end_reason": "timeout"}),
        ("zv", {"dwell_s": -1}),
        ("zv", {"dwell_s": "12.5"}),
        ("zv", {"exited_at": "2026-11-23T20:00:13+00:00"}),
        ("zv", {"geometry_version": ""}),
        ("zv", {"extra": 1}),
    ],
)
def test_bad_events_rejected(kind: str, changes: dict[str, Any]) -> None:
    rejected_by_both(kind, changed(kind, **changes))


@pytest.mark.parametrize(
    ("entered", "exited", "dwell"),
    [
        ("2026-11-23T20:00:01.000Z", "2026-11-23T20:00:13.500Z", 12.4),  # not the difference
        ("2026-11-23T20:00:13.500Z", "2026-11-23T20:00:01.000Z", 12.5),  # exits before entering
    ],
)
def test_dwell_must_be_the_visits_length(entered: str, exited: str, dwell: float) -> None:
    obj = changed("zv", entered_at=entered, exited_at=exited, dwell_s=dwell)
    validate_event("zone_visits.v1", obj)  # JSON Schema cannot compare fields
    with pytest.raises(pydantic.ValidationError):
        ZoneVisit.model_validate(obj)


def test_zone_visit_times_are_aware_utc() -> None:
    visit = ZoneVisit.model_validate(ZV)
    assert visit.entered_at == datetime(2026, 11, 23, 20, 0, 1, tzinfo=UTC)
    assert (visit.exited_at - visit.entered_at).total_seconds() == visit.dwell_s


PD: dict[str, Any] = {
    "site_id": "s",
    "camera_id": "c",
    "frame_id": 7,
    "captured_at": "2026-11-23T20:00:00.123Z",
    "people_count": 2,
    "detections": [
        {"track_id": 4, "bbox": [1.0, 2.0, 30.0, 90.0], "score": 0.9, "zones": ["plaza", "till"]},
        {"track_id": None, "bbox": [50.0, 2.0, 80.0, 90.0], "score": 0.6},
    ],
}


def test_detections_may_carry_zones_and_old_events_stay_valid() -> None:
    validate_event("person_detections.v1", PD)
    event = PersonDetections.model_validate(PD)
    assert event.detections[0].zones == ["plaza", "till"] and event.detections[1].zones is None
    written = json.loads(event.to_json())
    assert written["detections"][0]["zones"] == ["plaza", "till"]
    assert "zones" not in written["detections"][1]  # absent, never null
    validate_event("person_detections.v1", written)


@pytest.mark.parametrize(
    "zones", [["plaza", "plaza"], [""], "plaza", [1], None, [f"z{i}" for i in range(65)]]
)
def test_bad_zones_rejected(zones: Any) -> None:
    obj = copy.deepcopy(PD)
    obj["detections"][0]["zones"] = zones
    with pytest.raises(jsonschema.ValidationError):
        validate_event("person_detections.v1", obj)
    with pytest.raises(pydantic.ValidationError):
        PersonDetections.model_validate(obj)
