"""Tests of the event contract: JSON Schema files, pydantic models, topics, timestamps."""

from __future__ import annotations

import ast
import copy
import json
import sys
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest

import contracts
from contracts import (
    Detection,
    GenderClassification,
    ModelInfo,
    PersonDetections,
    dlq_topic,
    format_ts,
    late_topic,
    load_schema,
    message_key,
    parse_ts,
    validate_gender_classification,
    validate_person_detections,
)
from contracts.timefmt import UTC

CONTRACTS_DIR = Path(contracts.__file__).parent

PD_EXAMPLE: dict[str, Any] = {
    "site_id": "site-berlin-01",
    "camera_id": "cam-entrance-2",
    "frame_id": 18234,
    "captured_at": "2026-11-23T20:00:00.123Z",
    "people_count": 2,
    "detections": [
        {"track_id": 41, "bbox": [12.0, 30.5, 118.0, 402.0], "score": 0.91},
        {"track_id": None, "bbox": [300.0, 40.0, 380.25, 390.0], "score": 0.47},
    ],
    "model": {"name": "yolov8n", "version": "8.1.0"},
    "schema": "person_detections/v1",
}

GC_EXAMPLE: dict[str, Any] = {
    "site_id": "site-berlin-01",
    "camera_id": "cam-entrance-2",
    "captured_at": "2026-11-23T20:00:00.123Z",
    "track_id": 41,
    "gender": "female",
    "confidence": 0.87,
    "model": {"name": "gender-cls", "version": "1.2.0"},
    "schema": "gender_classifications/v1",
}

PD_MINIMAL: dict[str, Any] = {
    "site_id": "s",
    "camera_id": "c",
    "frame_id": 0,
    "captured_at": "1970-01-01T00:00:00.000Z",
    "people_count": 0,
    "detections": [],
}

GC_MINIMAL: dict[str, Any] = {
    "site_id": "s",
    "camera_id": "c",
    "captured_at": "2026-11-23T23:59:59.999Z",
    "track_id": None,
    "gender": "male",
    "confidence": 1,
}

KINDS: dict[str, tuple[type[pydantic.BaseModel], Callable[[Any], Any], dict[str, Any]]] = {
    "pd": (PersonDetections, validate_person_detections, PD_EXAMPLE),
    "gc": (GenderClassification, validate_gender_classification, GC_EXAMPLE),
}


def _assert_rejected_by_both(kind: str, obj: Any) -> None:
    model, validate, _ = KINDS[kind]
    with pytest.raises(jsonschema.ValidationError):
        validate(obj)
    with pytest.raises(pydantic.ValidationError):
        model.model_validate(obj)
    with pytest.raises(pydantic.ValidationError):
        model.from_json(json.dumps(obj))


# --------------------------------------------------------------------------- valid events


@pytest.mark.parametrize(
    ("kind", "example"),
    [("pd", PD_EXAMPLE), ("pd", PD_MINIMAL), ("gc", GC_EXAMPLE), ("gc", GC_MINIMAL)],
)
def test_valid_examples_pass_schema_and_model(kind: str, example: dict[str, Any]) -> None:
    model, validate, _ = KINDS[kind]
    assert validate(copy.deepcopy(example)) == example
    assert validate(json.dumps(example)) == example
    event = model.model_validate(example)
    assert model.from_json(json.dumps(example)) == event
    assert event.captured_at.tzinfo is not None
    assert event.captured_at.utcoffset() == timedelta(0)
    # What the model writes is valid against the schema file too.
    validate(event.to_json())
    validate(event.to_dict())


def test_captured_at_parsed_to_aware_utc_datetime() -> None:
    event = PersonDetections.model_validate(PD_EXAMPLE)
    assert event.captured_at == datetime(2026, 11, 23, 20, 0, 0, 123000, tzinfo=UTC)
    assert event.schema_ == "person_detections/v1"
    assert event.model == ModelInfo(name="yolov8n", version="8.1.0")
    assert event.detections[1] == Detection(track_id=None, bbox=(300, 40, 380.25, 390), score=0.47)


# --------------------------------------------------------------------------- mirror check


def _names(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    return set(schema["properties"]), set(schema.get("required", []))


@pytest.mark.parametrize(
    ("model", "schema_name", "pointer"),
    [
        (PersonDetections, "person_detections.v1", ()),
        (Detection, "person_detections.v1", ("$defs", "detection")),
        (ModelInfo, "person_detections.v1", ("$defs", "model_info")),
        (GenderClassification, "gender_classifications.v1", ()),
        (ModelInfo, "gender_classifications.v1", ("$defs", "model_info")),
    ],
)
def test_pydantic_models_mirror_schema_files(
    model: type[pydantic.BaseModel], schema_name: str, pointer: tuple[str, ...]
) -> None:
    file_schema = load_schema(schema_name)
    for part in pointer:
        file_schema = file_schema[part]
    model_schema = model.model_json_schema(by_alias=True)
    assert _names(model_schema) == _names(file_schema)
    assert file_schema["additionalProperties"] is False
    assert model_schema["additionalProperties"] is False
    for name, prop in model_schema["properties"].items():
        assert prop.get("description"), f"{model.__name__}.{name} has no description"


def test_detection_items_reference_detection_def() -> None:
    schema = load_schema("person_detections.v1")
    assert schema["properties"]["detections"]["items"] == {"$ref": "#/$defs/detection"}
    assert schema["properties"]["model"]["$ref"] == "#/$defs/model_info"
    assert load_schema("gender_classifications.v1")["properties"]["model"]["$ref"] == (
        "#/$defs/model_info"
    )


def _walk_properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        for name, prop in node.get("properties", {}).items():
            found.append((f"{path}/{name}", prop))
        for key, value in node.items():
            found.extend(_walk_properties(value, f"{path}/{key}"))
    return found


@pytest.mark.parametrize("name", ["person_detections", "gender_classifications"])
def test_schema_files_are_well_formed(name: str) -> None:
    schema = load_schema(f"{name}.v1")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://ivica.dev/schemas/{name}/v1"
    assert schema["title"] and schema["description"]
    assert schema["properties"]["schema"]["const"] == f"{name}/v1"
    assert "schema" not in schema["required"]
    assert "model" not in schema["required"]
    props = _walk_properties(schema)
    assert len(props) >= 8
    for path, prop in props:
        assert prop.get("description"), f"{name}{path} has no description"
    for defn in schema["$defs"].values():
        assert defn["additionalProperties"] is False
    # Same file via the schema tag spelling.
    assert load_schema(f"{name}/v1") == schema


def test_load_schema_rejects_bad_names() -> None:
    with pytest.raises(ValueError):
        load_schema("../pyproject")
    with pytest.raises(FileNotFoundError):
        load_schema("no_such_event.v1")


# --------------------------------------------------------------------------- round trip


@pytest.mark.parametrize(
    ("model", "example"),
    [
        (PersonDetections, PD_EXAMPLE),
        (PersonDetections, PD_MINIMAL),
        (GenderClassification, GC_EXAMPLE),
        (GenderClassification, GC_MINIMAL),
    ],
)
def test_round_trip(model: type[Any], example: dict[str, Any]) -> None:
    event = model.model_validate(example)
    text = event.to_json()
    again = model.from_json(text)
    assert again == event
    assert again.to_json() == text
    assert json.loads(text)["captured_at"] == example["captured_at"]
    assert f'"captured_at":"{example["captured_at"]}"' in text
    assert model.from_json(text.encode("utf-8")) == event


def test_to_json_is_compact_and_canonical() -> None:
    # All numbers in the examples are already floats where floats are expected, so the
    # model's output must equal the compact encoding of the example byte for byte.
    compact = json.dumps(PD_EXAMPLE, separators=(",", ":"))
    assert PersonDetections.model_validate(PD_EXAMPLE).to_json() == compact
    gc_compact = json.dumps(GC_EXAMPLE, separators=(",", ":"))
    assert GenderClassification.model_validate(GC_EXAMPLE).to_json() == gc_compact


def test_to_json_omits_none_optionals_but_keeps_null_track_id() -> None:
    gc = json.loads(GenderClassification.model_validate(GC_MINIMAL).to_json())
    assert "model" not in gc
    assert "schema" not in gc
    assert gc["track_id"] is None
    pd = PersonDetections.model_validate({**PD_MINIMAL, "detections": PD_EXAMPLE["detections"]})
    out = json.loads(pd.to_json())
    assert set(out) == set(PD_MINIMAL)
    assert out["detections"][1]["track_id"] is None


def test_construct_from_python_datetime() -> None:
    paris = timezone(timedelta(hours=1))
    event = GenderClassification(
        site_id="s",
        camera_id="c",
        captured_at=datetime(2026, 11, 23, 21, 0, 0, 123999, tzinfo=paris),
        track_id=3,
        gender="male",
        confidence=0.5,
        schema=GenderClassification.SCHEMA,
    )
    assert event.captured_at == datetime(2026, 11, 23, 20, 0, 0, 123000, tzinfo=UTC)
    assert json.loads(event.to_json())["captured_at"] == "2026-11-23T20:00:00.123Z"
    assert json.loads(event.to_json())["schema"] == "gender_classifications/v1"
    assert GenderClassification.from_json(event.to_json()) == event
    with pytest.raises(pydantic.ValidationError):
        GenderClassification(
            site_id="s",
            camera_id="c",
            captured_at=datetime(2026, 11, 23, 20, 0, 0),  # noqa: DTZ001 (naive on purpose)
            track_id=3,
            gender="male",
            confidence=0.5,
        )


# --------------------------------------------------------------------------- rejections


def _without(example: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in example.items() if k != key}


def _with(example: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(example), **changes}


def _with_detection(**changes: Any) -> dict[str, Any]:
    obj = copy.deepcopy(PD_EXAMPLE)
    obj["detections"][0].update(changes)
    return obj


@pytest.mark.parametrize("field", load_schema("person_detections.v1")["required"])
def test_person_detections_missing_field_rejected(field: str) -> None:
    _assert_rejected_by_both("pd", _without(PD_EXAMPLE, field))


@pytest.mark.parametrize("field", load_schema("gender_classifications.v1")["required"])
def test_gender_classification_missing_field_rejected(field: str) -> None:
    _assert_rejected_by_both("gc", _without(GC_EXAMPLE, field))


@pytest.mark.parametrize("field", ["track_id", "bbox", "score"])
def test_detection_missing_field_rejected(field: str) -> None:
    obj = copy.deepcopy(PD_EXAMPLE)
    del obj["detections"][0][field]
    _assert_rejected_by_both("pd", obj)


BAD_TIMESTAMPS = [
    "2026-11-23T20:00:00.123",  # no Z (naive)
    "2026-11-23T20:00:00Z",  # no millis
    "2026-11-23T20:00:00.123+01:00",  # offset instead of Z
    "2026-11-23T20:00:00.123+00:00",  # UTC, but not spelled Z
    "2026-11-23T20:00:00.123456Z",  # microseconds
    "2026-11-23T20:00:00.1Z",  # too few fraction digits
    "2026-11-23 20:00:00.123Z",  # space separator
    "2026-11-23T20:00:00.123z",  # lower-case z
    "2026-11-23T20:00:00.123Z\n",  # trailing newline
    " 2026-11-23T20:00:00.123Z",  # leading space
    "2026-13-01T00:00:00.000Z",  # month 13
    "2026-02-30T00:00:00.000Z",  # no such day
    "",
    1795464000123,  # epoch millis are not the wire form
    None,
]


@pytest.mark.parametrize("kind", ["pd", "gc"])
@pytest.mark.parametrize("ts", BAD_TIMESTAMPS)
def test_bad_captured_at_rejected(kind: str, ts: Any) -> None:
    _assert_rejected_by_both(kind, _with(KINDS[kind][2], captured_at=ts))


PD_BAD = {
    "frame_id_string": _with(PD_EXAMPLE, frame_id="18234"),
    "frame_id_float": _with(PD_EXAMPLE, frame_id=1.5),
    "frame_id_bool": _with(PD_EXAMPLE, frame_id=True),
    "frame_id_negative": _with(PD_EXAMPLE, frame_id=-1),
    "frame_id_over_int64": _with(PD_EXAMPLE, frame_id=2**63),
    "people_count_negative": _with(PD_EXAMPLE, people_count=-1),
    "people_count_string": _with(PD_EXAMPLE, people_count="2"),
    "site_id_int": _with(PD_EXAMPLE, site_id=1),
    "site_id_empty": _with(PD_EXAMPLE, site_id=""),
    "camera_id_too_long": _with(PD_EXAMPLE, camera_id="c" * 129),
    "camera_id_null": _with(PD_EXAMPLE, camera_id=None),
    "detections_object": _with(PD_EXAMPLE, detections={"track_id": 1}),
    "detections_null": _with(PD_EXAMPLE, detections=None),
    "score_above_1": _with_detection(score=1.01),
    "score_negative": _with_detection(score=-0.01),
    "score_string": _with_detection(score="0.9"),
    "track_id_string": _with_detection(track_id="41"),
    "track_id_float": _with_detection(track_id=4.5),
    "bbox_three": _with_detection(bbox=[1.0, 2.0, 3.0]),
    "bbox_five": _with_detection(bbox=[1.0, 2.0, 3.0, 4.0, 5.0]),
    "bbox_string_item": _with_detection(bbox=[1.0, "2", 3.0, 4.0]),
    "bbox_string": _with_detection(bbox="1,2,3,4"),
    "model_missing_version": _with(PD_EXAMPLE, model={"name": "yolov8n"}),
    "model_extra_key": _with(PD_EXAMPLE, model={"name": "y", "version": "1", "weights": "x"}),
    "model_string": _with(PD_EXAMPLE, model="yolov8n"),
    "schema_wrong_version": _with(PD_EXAMPLE, schema="person_detections/v2"),
    "schema_other_event": _with(PD_EXAMPLE, schema="gender_classifications/v1"),
    "schema_python_name": _with(PD_EXAMPLE, schema_="person_detections/v1"),
    "extra_unknown_key": _with(PD_EXAMPLE, processed_at="2026-11-23T20:00:01.000Z"),
    "image_base64": _with(PD_EXAMPLE, image="/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgH"),
    "crop_top_level": _with(PD_EXAMPLE, crop="iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"),
    "jpeg_top_level": _with(PD_EXAMPLE, frame_jpeg="/9j/4AAQ"),
    "embedding_in_detection": _with_detection(embedding=[0.1, 0.2, 0.3]),
    "crop_in_detection": _with_detection(crop="iVBORw0KGgo="),
    "not_an_object": [PD_EXAMPLE],
    "event_id_upper_case": _with(PD_EXAMPLE, event_id=str(uuid.uuid4()).upper()),
    "event_id_version_1": _with(PD_EXAMPLE, event_id=str(uuid.uuid1())),
    "event_id_no_dashes": _with(PD_EXAMPLE, event_id=uuid.uuid4().hex),
    "event_id_int": _with(PD_EXAMPLE, event_id=uuid.uuid4().int),
}


@pytest.mark.parametrize("case", sorted(PD_BAD))
def test_person_detections_rejected(case: str) -> None:
    _assert_rejected_by_both("pd", PD_BAD[case])


GC_BAD = {
    "gender_other": _with(GC_EXAMPLE, gender="other"),
    "gender_capitalised": _with(GC_EXAMPLE, gender="Male"),
    "gender_null": _with(GC_EXAMPLE, gender=None),
    "confidence_above_1": _with(GC_EXAMPLE, confidence=1.5),
    "confidence_negative": _with(GC_EXAMPLE, confidence=-0.1),
    "confidence_string": _with(GC_EXAMPLE, confidence="0.8"),
    "track_id_string": _with(GC_EXAMPLE, track_id="41"),
    "site_id_empty": _with(GC_EXAMPLE, site_id=""),
    "schema_wrong": _with(GC_EXAMPLE, schema="person_detections/v1"),
    "image_base64": _with(GC_EXAMPLE, image="/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgH"),
    "crop": _with(GC_EXAMPLE, crop="iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"),
    "face_embedding": _with(GC_EXAMPLE, embedding=[0.1] * 8),
    "model_extra_key": _with(GC_EXAMPLE, model={"name": "g", "version": "1", "png": "x"}),
    "event_id_braces": _with(GC_EXAMPLE, event_id="{" + str(uuid.uuid4()) + "}"),
}


@pytest.mark.parametrize("kind", ["pd", "gc"])
def test_event_id_is_optional_and_a_uuid4(kind: str) -> None:
    """Old events (no event_id) stay valid; a fresh uuid4 passes schema and model alike."""
    example = PD_EXAMPLE if kind == "pd" else GC_EXAMPLE
    model = PersonDetections if kind == "pd" else GenderClassification
    validate = validate_person_detections if kind == "pd" else validate_gender_classification
    assert "event_id" not in example
    for event_id in (str(uuid.uuid4()) for _ in range(50)):
        data = _with(example, event_id=event_id)
        validate(data)
        assert model.model_validate(data).event_id == event_id


@pytest.mark.parametrize("case", sorted(GC_BAD))
def test_gender_classification_rejected(case: str) -> None:
    _assert_rejected_by_both("gc", GC_BAD[case])


@pytest.mark.parametrize("key", ["image", "crop", "embedding", "frame_bytes", "face_png"])
def test_image_like_keys_get_explicit_privacy_error(key: str) -> None:
    with pytest.raises(pydantic.ValidationError, match="privacy"):
        PersonDetections.model_validate(_with(PD_EXAMPLE, **{key: "AAAA"}))
    with pytest.raises(pydantic.ValidationError, match="privacy"):
        PersonDetections.model_validate(_with_detection(**{key: "AAAA"}))
    with pytest.raises(pydantic.ValidationError, match="privacy"):
        GenderClassification.from_json(json.dumps(_with(GC_EXAMPLE, **{key: "AAAA"})))
    with pytest.raises(jsonschema.ValidationError, match=repr(key)):
        validate_person_detections(_with(PD_EXAMPLE, **{key: "AAAA"}))


@pytest.mark.parametrize("bbox", [[10.0, 0.0, 5.0, 1.0], [0.0, 10.0, 1.0, 5.0]])
def test_inverted_bbox_rejected_by_model(bbox: list[float]) -> None:
    obj = _with_detection(bbox=bbox)
    # JSON Schema cannot compare array items; the pydantic model enforces the ordering.
    validate_person_detections(obj)
    with pytest.raises(pydantic.ValidationError, match="x2 >= x1"):
        PersonDetections.model_validate(obj)


def test_degenerate_bbox_allowed() -> None:
    Detection(track_id=1, bbox=(5, 5, 5, 5), score=0)


def test_non_finite_numbers_rejected() -> None:
    text = json.dumps(_with_detection(score=float("nan")))
    assert "NaN" in text
    _assert_rejected_by_both("pd", json.loads(text))
    with pytest.raises(jsonschema.ValidationError):
        validate_person_detections(json.dumps(_with_detection(bbox=[0, 0, float("inf"), 1])))


def test_validators_reject_invalid_json_text() -> None:
    with pytest.raises(json.JSONDecodeError):
        validate_person_detections("{not json")
    with pytest.raises(pydantic.ValidationError):
        PersonDetections.from_json("{not json")


# --------------------------------------------------------------------------- timestamps


def test_format_ts_naive_raises() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_ts(datetime(2026, 11, 23, 20, 0, 0))  # noqa: DTZ001 (naive on purpose)


def test_format_ts_converts_to_utc_and_truncates_to_millis() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    dt = datetime(2026, 11, 24, 1, 30, 0, 123999, tzinfo=ist)
    assert format_ts(dt) == "2026-11-23T20:00:00.123Z"
    assert format_ts(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"
    west = timezone(timedelta(hours=-8))
    assert format_ts(datetime(2026, 12, 31, 20, 0, 0, 5000, tzinfo=west)) == (
        "2027-01-01T04:00:00.005Z"
    )


def test_parse_ts_round_trip_and_rejections() -> None:
    text = "2026-11-23T20:00:00.123Z"
    dt = parse_ts(text)
    assert dt == datetime(2026, 11, 23, 20, 0, 0, 123000, tzinfo=UTC)
    assert dt.utcoffset() == timedelta(0)
    assert format_ts(dt) == text
    for bad in BAD_TIMESTAMPS:
        with pytest.raises(ValueError):
            parse_ts(bad)


# --------------------------------------------------------------------------- topics and key


def test_topic_names() -> None:
    assert contracts.PERSON_DETECTIONS == "ivica.person_detections.v1"
    assert contracts.GENDER_CLASSIFICATIONS == "ivica.gender_classifications.v1"
    assert contracts.PEOPLE_COUNTER == "ivica.people_counter.v1"
    assert contracts.GENDER_COUNTER == "ivica.gender_counter.v1"
    assert contracts.PEOPLE_COUNTER_SLIDING == "ivica.people_counter_sliding.v1"
    assert contracts.GENDER_COUNTER_SLIDING == "ivica.gender_counter_sliding.v1"
    assert PersonDetections.TOPIC == contracts.PERSON_DETECTIONS
    assert GenderClassification.TOPIC == contracts.GENDER_CLASSIFICATIONS
    assert dlq_topic(contracts.PERSON_DETECTIONS) == "ivica.person_detections.v1.dlq"
    assert late_topic(contracts.GENDER_CLASSIFICATIONS) == "ivica.gender_classifications.v1.late"
    with pytest.raises(ValueError):
        dlq_topic("ivica.person_detections.v1.dlq")
    with pytest.raises(ValueError):
        late_topic("")


def test_message_key_is_camera_id_utf8() -> None:
    event = PersonDetections.model_validate(_with(PD_EXAMPLE, camera_id="kamera-süd"))
    assert message_key(event) == "kamera-süd".encode()
    assert message_key(GC_EXAMPLE) == b"cam-entrance-2"
    assert message_key(GenderClassification.model_validate(GC_EXAMPLE)) == b"cam-entrance-2"
    with pytest.raises(ValueError):
        message_key({"site_id": "s"})
    with pytest.raises(ValueError):
        message_key({"camera_id": ""})


# --------------------------------------------------------------------------- dependencies


def test_contracts_depends_only_on_pydantic_jsonschema_stdlib() -> None:
    allowed = {"pydantic", "jsonschema", "contracts", "__future__"} | set(sys.stdlib_module_names)
    for path in CONTRACTS_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = [alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots = [node.module.split(".")[0]]
            else:
                continue
            for root in roots:
                assert root in allowed, f"{path.name} imports {root}"
